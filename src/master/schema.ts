import { integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The tables of one sweep's master (a Durable Object per sweep): its configuration, its trials,
 * their intermediate reports and the idempotency records of lease requests.
 */
export const sweep = sqliteTable("sweep", {
  name: text("name").primaryKey(),
  /** The resolved SweepConfig as JSON. */
  config: text("config").notNull(),
  createdAt: integer("created_at").notNull(),
});

export const trials = sqliteTable("trials", {
  /** The trial's id: search trials and replicates, in the order they were created, from 0. */
  id: integer("id").primaryKey(),
  /** Its number among the search's trials (what the algorithms see); null for a replicate. */
  searchIndex: integer("search_index"),
  /** A replicate's original trial. */
  replicateOf: integer("replicate_of"),
  /** The initialisation seed of the trial's shard (a replicate's own; the template's otherwise; null when it starts at zeros). */
  initSeed: integer("init_seed"),
  params: text("params").notNull(),
  stage: integer("stage").notNull(),
  budget: real("budget").notNull(),
  /** queued | running | complete | pruned | failed */
  state: text("state").notNull(),
  /** The final objective of a complete trial. */
  value: real("value"),
  /** The final metrics (JSON) of a complete or failed trial. */
  metrics: text("metrics"),
  /** Why the trial stopped (pruned, failed) or why parameters were not applied. */
  reason: text("reason"),
  unapplied: text("unapplied").notNull(),
  leaseId: text("lease_id"),
  leaseExpires: integer("lease_expires"),
  worker: text("worker"),
  /** Leases given for this trial so far (more than one: it was resumed). */
  leases: integer("leases").notNull(),
  shard: text("shard"),
  /** The shard's checkpoint at the trial's start, and the last one a report took (and at which step). */
  startCheckpoint: integer("start_checkpoint"),
  checkpoint: integer("checkpoint"),
  checkpointStep: real("checkpoint_step"),
  /** The shard must be brought back to `checkpoint` (or the start) before the next lease is answered. */
  needsRestore: integer("needs_restore").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const reports = sqliteTable(
  "reports",
  {
    trial: integer("trial").notNull(),
    step: real("step").notNull(),
    value: real("value").notNull(),
    metrics: text("metrics").notNull(),
    /** The answer given: continue or stop, and why. */
    decision: text("decision").notNull(),
    at: integer("at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.trial, t.step] })],
);

/** Lease requests by Idempotency-Key (scoped to the token's subject): a retry gets the lease it was given. */
export const asks = sqliteTable("asks", {
  key: text("key").primaryKey(),
  trial: integer("trial").notNull(),
  leaseId: text("lease_id").notNull(),
  at: integer("at").notNull(),
});
