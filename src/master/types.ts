import type { SweepConfig } from "../config/sweep";
import type { BoundaryWarning } from "../sweeps/boundary";
import type { Assignment, Report } from "../sweeps/space";
import type { Stamp } from "../shard/types";

/** The RPC contract of a sweep's master: requests and answers (times as ms since the epoch; the edge presents them). */

export type TrialState = "queued" | "running" | "complete" | "pruned" | "failed";

export interface TrialCheckpoint {
  /** The trial shard's checkpoint id. */
  id: number;
  /** The trial's step (in the sweep's unit) when it was taken. */
  step: number;
}

export interface TrialView {
  id: number;
  /** Its number among the search's trials; null for a replicate. */
  search_index: number | null;
  replicate_of: number | null;
  state: TrialState;
  params: Assignment;
  stage: number;
  /** The resource the trial may use, in the sweep's unit. */
  budget: number;
  /** The objective: the final value of a complete trial, else null. */
  value: number | null;
  metrics: Record<string, number> | null;
  /** Why it was pruned or failed. */
  reason: string | null;
  /** Parameters the trial's rule had no use for. */
  unapplied: string[];
  /** The trial's shard (null when the sweep has no template). */
  shard: string | null;
  /** The initialisation seed of its shard and of the client's own draws. */
  seed: number;
  worker: string | null;
  leases: number;
  checkpoint: TrialCheckpoint | null;
  last_report: Report | null;
  reports: number;
  created_at: Stamp;
  updated_at: Stamp;
}

export interface Lease {
  status: "leased";
  trial: TrialView;
  lease: { id: string; expires_at: Stamp };
  /** Where the trial resumes: the step of the checkpoint its shard was brought back to; null from the start. */
  resume: TrialCheckpoint | null;
  unit: string;
  /** True when an Idempotency-Key named a lease given before. */
  replayed: boolean;
}

export type AskAnswer =
  | Lease
  | { status: "wait"; retry_after: number; reason: string }
  | { status: "done" };

export interface AskRequest {
  worker?: string;
  /** Scoped to the caller's subject by the edge. */
  idempotencyKey?: string;
}

export interface ReportRequest {
  trial: number;
  lease: string;
  step: number;
  metrics: Record<string, number>;
  checkpoint?: boolean;
}

export interface ReportAnswer {
  decision: "continue" | "stop";
  /** Why stop: pruned (and by which rule), the budget used, or the trial already finished. */
  reason: string | null;
  trial: TrialView;
  lease_expires_at: Stamp | null;
}

export interface CompleteRequest {
  trial: number;
  lease: string;
  metrics: Record<string, number>;
  /** Set when the trial failed: why (its metrics are recorded; it does not count as a result). */
  failed?: string;
}

export interface StageView {
  stage: number;
  trials: number;
  budget: number;
  /** The ranges the stage samples from: numeric parameters' bounds, choices' values. */
  ranges: Record<string, { low: number; high: number } | { values: (string | number | boolean)[] }>;
  started: boolean;
}

export interface SweepView {
  name: string;
  config: SweepConfig;
  state: "running" | "done";
  counts: Record<TrialState, number>;
  /** Search trials in all (the budget). */
  trials: number;
  best: TrialView | null;
  warnings: BoundaryWarning[];
  stages: StageView[];
  created_at: Stamp;
}
