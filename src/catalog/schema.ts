import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The catalog's tables (one Durable Object for the whole deployment): Durable Objects cannot be
 * enumerated, so every model and every shard is recorded here when it is created.
 */
export const models = sqliteTable("models", {
  name: text("name").primaryKey(),
  /** The resolved manifest (ModelManifest) as JSON: a re-PUT is compared with it. */
  manifest: text("manifest").notNull(),
  /** The layout (ModelLayout) as JSON: which shard holds which part of which tensor. */
  layout: text("layout").notNull(),
  parameters: integer("parameters").notNull(),
  createdAt: integer("created_at").notNull(),
});

export const shards = sqliteTable("shards", {
  name: text("name").primaryKey(),
  /** The model the shard belongs to, if any. */
  model: text("model"),
  createdAt: integer("created_at").notNull(),
});

/** A model's checkpoints: one checkpoint of each of its shards, taken together. */
export const modelCheckpoints = sqliteTable("model_checkpoints", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  model: text("model").notNull(),
  label: text("label"),
  /** Shard name → that shard's checkpoint id, as JSON. */
  shardCheckpoints: text("shard_checkpoints").notNull(),
  /** Shard name → its version when snapshotted, as JSON. */
  versions: text("versions").notNull(),
  createdAt: integer("created_at").notNull(),
});

/** Sweeps (docs/sweeps.md): recorded when created, so they can be listed. */
export const sweeps = sqliteTable("sweeps", {
  name: text("name").primaryKey(),
  createdAt: integer("created_at").notNull(),
});
