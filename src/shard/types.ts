import type { AverageSpec, PlateauState } from "../optim";
import type { ShardConfig } from "./config";
import type { Refusal } from "./refusal";

/** What the shard object answers over RPC: a value, or why it refused. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

export interface ShardInfo {
  name: string;
  version: number;
  revision: number;
  /** The learning rate the next update will use. */
  lr: number;
  config: ShardConfig;
  averages: Record<string, AverageSpec & { count: number }>;
  schedule_origin: number;
  plateau: PlateauState | null;
  resident_bytes: number;
  created_at: string;
  updated_at: string;
}

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

export type Respond = "weights" | "summary";

export interface PushRequest {
  /** Raw little-endian float32: the whole gradient, or `offset`-based part of it. */
  gradient: ArrayBuffer;
  offset?: number;
  baseVersion?: number;
  clientId?: string;
  /** Who is pushing, for the per-client rate limit: the token's subject and the client id. */
  clientKey?: string;
  sampleCount?: number;
  idempotencyKey?: string;
  respond: Respond;
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
}

export interface PushResult extends PushSummary {
  replayed: boolean;
  /** The weights of the pushed range after the update (respond: "weights"). */
  weights?: VectorRead;
}

export interface PatchRequest {
  hyper?: Record<string, unknown>;
  schedule?: unknown;
}

export interface MetricResult {
  version: number;
  lr: number;
  plateau: PlateauState | null;
}
