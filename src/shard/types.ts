import type { Hyper, PlateauState, ScheduleSpec } from "../optim";
import type { LbfgsAnswer } from "../optim/lbfgs";
import type { ShardConfig } from "../config";
import type { ShardStats } from "./stats";

export type { Outcome } from "../durable/outcome";

/**
 * Times cross RPC as milliseconds since the epoch; the edge presents them (ISO 8601, src/edge/present.ts).
 * A `Stamp` may also be an ISO string: recorded before times were numbers (a ledger record's round
 * receipt, the last round of the stats), or answered by an object of the previous release.
 */
export type Stamp = number | string;

export interface ShardInfo {
  name: string;
  version: number;
  /** Steps of the optimizer (bias correction, schedule): version until a checkpoint is restored. */
  step: number;
  revision: number;
  /** The learning rate the next update will use. */
  lr: number;
  config: ShardConfig;
  /** The scheduled hyperparameters (by path) the next update will use; empty when none is scheduled. */
  hyper_in_force: Record<string, number>;
  averages: Record<string, ShardConfig["averages"][string] & { count: number }>;
  schedule_origin: number;
  plateau: PlateauState | null;
  resident_bytes: number;
  created_at: Stamp;
  updated_at: Stamp;
}

/** Where a model's tensor draws its initial weights: elements [offset, offset + length) of the shard, `skip` draws into the stream of `seed`. */
export interface InitPiece {
  offset: number;
  length: number;
  seed: number;
  skip: number;
}

/** How a model creates its shard: the model that owns it, and its tensors' initial draws. */
export interface CreateOptions {
  model?: string;
  init?: InitPiece[];
}

/** Who changes a shard: a model (its own shards) or, when undefined, the shard API. */
export type Via = string | undefined;

export interface Range {
  offset: number;
  /** Number of floats; undefined means to the end. */
  length?: number;
}

/** Where a vector stands after a read or a write. */
export interface VectorVersion {
  version: number;
  revision: number;
  offset: number;
}

export interface VectorRead extends VectorVersion {
  /** Raw little-endian float32. */
  bytes: ArrayBuffer;
}

/**
 * Where the next gradient is to be taken (src/optim/point.ts): the weights for most rules, a
 * vector `distinct` from them for some (the notes' look-ahead Nesterov).
 */
export interface PointRead extends VectorRead {
  distinct: boolean;
}

/** The vector a push answers: the weights of its range, which are the point, or the point when it is distinct from them. */
export type PushAnswer = { weights: VectorRead; point?: undefined } | { point: PointRead; weights?: undefined };

export type Respond = "weights" | "summary";

export interface PushRequest {
  /** Raw little-endian float32: the whole gradient, or `offset`-based part of it (a view into a socket's message, 4-byte aligned, or a buffer of its own). */
  gradient: ArrayBuffer | Uint8Array<ArrayBuffer>;
  offset?: number;
  baseVersion?: number;
  /** The token's subject, which scopes the Idempotency-Key (absent from an edge of an older release: the key is then unscoped). */
  subject?: string;
  /** The client: the token's subject, or the client a relay token names (src/edge/auth/contributor.ts). */
  clientId?: string;
  /** Who is pushing, for the per-client rate limit and a round's one contribution per client: subject and client, escaped. */
  clientKey?: string;
  sampleCount?: number;
  /** L-BFGS: the loss at the point the gradient was computed at (X-Loss). */
  loss?: number;
  /** L-BFGS: the revision of that point (X-Point-Revision), which must be the shard's. */
  pointRevision?: number;
  idempotencyKey?: string;
  respond: Respond;
  /** Rounds mode: how long to wait for the push's round to close before answering (ms, bounded). */
  waitMs?: number;
  /** The model pushing to its own shard; undefined through the shard API. */
  via?: Via;
  /** Answer the vector as `PushResult.body` (a stream) rather than in `bytes` (an edge of an older release leaves it out). */
  streamAnswer?: boolean;
}

/** Where a rounds-mode push went. */
export interface RoundReceipt {
  /** The round the push counts in (it closes into version `number`; lbfgs: revision `number`). */
  number: number;
  closed: boolean;
  /** Pushes in the round so far (0 once closed). */
  contributors: number;
  quorum: number;
  /** When the round closes at the latest, if its quorum is not reached first (null once closed). */
  deadline: Stamp | null;
  /** The push was computed for an earlier round and rolled into this one. */
  rolled: boolean;
}

/** The outcome of a push, as recorded under its Idempotency-Key. */
export interface PushSummary {
  version: number;
  revision: number;
  /** Learning rate the update used (0 when nothing was applied). */
  lr: number;
  applied: boolean;
  skipped?: "non-finite";
  non_finite: number;
  staleness: number;
  /** Factor the staleness policy applied to lr. */
  staleness_scale: number;
  /** Global norm of the gradient before clipping (when clipping is configured). */
  norm?: number;
  offset: number;
  count: number;
  /** Rounds mode: the round the push counts in. */
  round?: RoundReceipt;
  /** L-BFGS: what the closure call did (src/optim/lbfgs/machine.ts). */
  lbfgs?: LbfgsPushOutcome;
}

export interface LbfgsPushOutcome {
  outcome: LbfgsAnswer["outcome"];
  end: LbfgsAnswer["end"];
  /** Closure calls of the current step() call, this one included. */
  step_evaluations: number;
  /** Closure calls over all step() calls (torch's func_evals). */
  func_evals: number;
  /** Iterations over all step() calls (torch's n_iter). */
  n_iter: number;
}

export interface PushResult extends PushSummary {
  replayed: boolean;
  /** The weights of the pushed range after the update (respond: "weights"), when they are the point. */
  weights?: VectorRead;
  /** Instead of the weights, the point of the pushed range when it is distinct from them (respond: "weights"). */
  point?: PointRead;
  /**
   * With `streamAnswer`, for a vector of RELEASE_MIN_BYTES or more (src/release.ts): the bytes of `weights` or `point` as a stream, their `bytes` then empty, so
   * that no whole copy of the vector waits for a garbage collection on either side of the RPC.
   */
  body?: ReadableStream<Uint8Array>;
}

/** A change of the configuration in the shard's history: a live PATCH, or a restore of a checkpoint. */
export type ConfigChange =
  | { hyper?: Record<string, unknown>; schedule?: ScheduleSpec; schedules?: Record<string, ScheduleSpec | null> }
  | { restored_checkpoint: number; checkpoint_version: number; step: number; hyper: Hyper; schedule: ScheduleSpec };

/** A change of the configuration with the version it took effect at (GET /v1/shards/{shard}/history). */
export interface ConfigHistoryEntry {
  version: number;
  change: ConfigChange;
  at: Stamp;
}

export interface PatchRequest {
  hyper?: Record<string, unknown>;
  schedule?: unknown;
  /** Per path: a new schedule (counted from the step of the change), or null to stop scheduling it. */
  schedules?: Record<string, unknown>;
}

export interface MetricResult {
  version: number;
  lr: number;
  plateau: PlateauState | null;
}

/** GET /v1/shards/{shard}/status. */
export interface ShardStatus {
  name: string;
  mode: "async" | "rounds";
  version: number;
  revision: number;
  lr: number;
  hyper_in_force: Record<string, number>;
  /** Rounds mode: the open round (null in async mode). */
  round: {
    number: number;
    contributors: number;
    quorum: number;
    sample_count: number;
    opened_at: Stamp | null;
    deadline: Stamp | null;
    reducer: string;
    input: "gradient" | "delta";
  } | null;
  pushes: number;
  writes: number;
  /** `histogram`: applied async pushes per bucket of STALENESS_BUCKETS. */
  staleness: { mean: number; max: number; scaled: number; histogram: number[] };
  rounds: { closed: number; by_quorum: number; by_deadline: number; late_rolled: number; last: ShardStats["last_round"] };
}

/** A snapshot of the shard's training state (GET /v1/shards/{shard}/checkpoints/{id}). */
export interface Checkpoint {
  /** Increasing per shard, never reused. */
  id: number;
  label: string | null;
  version: number;
  step: number;
  /** The revision of the weights it holds: reading them answers this ETag. */
  revision: number;
  /** Stored bytes: 4 × length × (1 + slots + averages). */
  bytes: number;
  created_at: Stamp;
}

export interface SnapshotRequest {
  label?: string;
  /** A retry with the same key answers the checkpoint the first request took. */
  idempotencyKey?: string;
}

export interface SnapshotResult {
  /** False when an Idempotency-Key named a checkpoint taken before. */
  created: boolean;
  checkpoint: Checkpoint;
}

/** Which checkpoints an ensemble averages: these ids (distinct), or the `last` k. */
export type CheckpointSelection = { ids: number[] } | { last: number };

/** The mean of checkpoints' weights; version and revision are the newest checkpoint's. */
export interface EnsembleRead extends VectorRead {
  /** The checkpoints averaged, in increasing order. */
  checkpoints: number[];
}
