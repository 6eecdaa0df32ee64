import { blob, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The shard object's SQLite tables. `pages` holds the float32 state (weights, every optimizer slot,
 * every average) in BLOB pages of at most 1 MiB; the other tables are metadata.
 */

/** The single row describing the shard: its resolved configuration and its running counters. */
export const shard = sqliteTable("shard", {
  id: integer("id").primaryKey(),
  name: text("name").notNull(),
  /** The resolved configuration (ShardConfig) as JSON, with live changes applied. */
  config: text("config").notNull(),
  /** The configuration as created: a re-PUT is compared with this one. */
  createdConfig: text("created_config").notNull(),
  /** Updates applied so far: the step count of bias corrections. */
  version: integer("version").notNull(),
  /** Changes of the weights so far (updates and uploads): the ETag. */
  revision: integer("revision").notNull(),
  /** The version at which the current schedule took effect; it counts updates from there. */
  scheduleOrigin: integer("schedule_origin").notNull(),
  /** Optimizer scalars (NAdam's mu_product) as JSON. */
  scalars: text("scalars").notNull(),
  /** Reduce-on-plateau state as JSON, when the schedule is a plateau. */
  plateau: text("plateau"),
  /** Per average: how many weight vectors it has folded in, as JSON. */
  averageCounts: text("average_counts").notNull(),
  /** Counters of pushes, staleness and rounds (ShardStats) as JSON. */
  stats: text("stats").notNull().default("{}"),
  /** Rounds mode: when the open round closes if its quorum is not reached first (ms since epoch). */
  roundDeadline: integer("round_deadline"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** Every live change of hyperparameters or schedule, with the version at which it took effect. */
export const configHistory = sqliteTable("config_history", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  version: integer("version").notNull(),
  change: text("change").notNull(),
  at: integer("at").notNull(),
});

/** Answers already given to requests with an Idempotency-Key. */
export const ledger = sqliteTable("idempotency", {
  key: text("key").primaryKey(),
  fingerprint: text("fingerprint").notNull(),
  /** The response's JSON summary (status, version, lr, ...). */
  outcome: text("outcome").notNull(),
  at: integer("at").notNull(),
});

/** Metrics reported by clients (they drive reduce-on-plateau). */
export const metrics = sqliteTable("metrics", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  version: integer("version").notNull(),
  value: real("value").notNull(),
  clientId: text("client_id"),
  at: integer("at").notNull(),
});

/** Float32 state, little-endian, `page` counting pages of the shard's page size within `slot`. */
export const pages = sqliteTable(
  "pages",
  {
    slot: text("slot").notNull(),
    page: integer("page").notNull(),
    data: blob("data", { mode: "buffer" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.slot, t.page] })],
);

/**
 * The pushes of the open round of a rounds-mode shard (round = version + 1), one per client. Each
 * push's vector is stored in `pages` under the slot `push:<seq>`; closing the round deletes both.
 */
export const roundPushes = sqliteTable("round_pushes", {
  seq: integer("seq").primaryKey(),
  clientKey: text("client_key").notNull().unique(),
  sampleCount: integer("sample_count").notNull(),
  /** L2 norm of the push before clipping. */
  norm: real("norm").notNull(),
  baseVersion: integer("base_version"),
  at: integer("at").notNull(),
});
