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
  /** Changes of the training state so far: updates, and restores of checkpoints. */
  version: integer("version").notNull(),
  /**
   * Steps of the optimizer: the bias-correction step, the schedule's position and SWA's start count
   * it. Equal to version until a checkpoint is restored, which brings back the checkpoint's step.
   */
  step: integer("step").notNull().default(0),
  /** Changes of the weights so far (updates and uploads): the ETag. */
  revision: integer("revision").notNull(),
  /** The step at which the current schedule took effect; it counts steps from there. */
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
  /** The model whose shard this is (changed only through the model), or null for a shard of its own. */
  model: text("model"),
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

/**
 * Answers already given to requests with an Idempotency-Key, one row per commit that recorded any
 * (a group commit records many): appending one row costs a commit one page, where a row and an index
 * entry per answer cost one random index page each. `seq` counts the records through this row since
 * the shard began, so the newest LEDGER_CAPACITY are the rows with `seq` above the newest minus that.
 */
export const ledger = sqliteTable("ledger", {
  seq: integer("seq").primaryKey(),
  /** JSON: `[[key, fingerprint, outcome, at], ...]`, each outcome the answer's JSON summary (version, lr, ...). */
  records: text("records").notNull(),
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
 * The pushes of the open round of a rounds-mode shard (round = version + 1; lbfgs: revision + 1), one per client. Each
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
  /** lbfgs: the loss sent with the push (X-Loss), at the round's point; null for other rules. */
  loss: real("loss"),
});

/**
 * Snapshots of the shard's training state. The vectors are copies of the live pages under the slots
 * `ckpt:<id>:<slot>` in `pages`; a row holds the rest of what a restore brings back.
 */
export const checkpoints = sqliteTable("checkpoints", {
  /** Increasing, never reused (AUTOINCREMENT): an id names one snapshot for the shard's lifetime. */
  id: integer("id").primaryKey({ autoIncrement: true }),
  label: text("label"),
  /** The Idempotency-Key of the request that took it: a retry answers this checkpoint. */
  requestKey: text("request_key").unique(),
  version: integer("version").notNull(),
  step: integer("step").notNull(),
  revision: integer("revision").notNull(),
  /** The configuration in force (ShardConfig as JSON): live changes since are undone by a restore. */
  config: text("config").notNull(),
  scheduleOrigin: integer("schedule_origin").notNull(),
  scalars: text("scalars").notNull(),
  plateau: text("plateau"),
  averageCounts: text("average_counts").notNull(),
  /** Stored bytes: 4 × length × (1 + slots + averages). */
  bytes: integer("bytes").notNull(),
  createdAt: integer("created_at").notNull(),
});

/**
 * The gradient log (docs/gradient-log.md): the steps taken since the state pages were last written,
 * one row per step keyed by the version it made, with what a replay needs as JSON. Each step's
 * gradient is stored in `pages` under the slot `log:<version>`; writing the state pages deletes both.
 */
export const gradientLog = sqliteTable("gradient_log", {
  version: integer("version").primaryKey(),
  /** ENGINE_VERSION of the kernels that took the step. */
  engine: integer("engine").notNull(),
  /** Bytes of the step's gradient. */
  bytes: integer("bytes").notNull(),
  /** The step's metadata (LoggedStep without its gradient) as JSON. */
  record: text("record").notNull(),
});
