import type { Direction, TrialRecord } from "../space";

/** What a pruner is given when a running trial reports at `step`. */
export interface PruneContext {
  readonly direction: Direction;
  /** The reporting trial, its reports including the new one (the last). */
  readonly trial: TrialRecord;
  /** Every other trial of the sweep, with its reports. */
  readonly others: readonly TrialRecord[];
}

/** True when the trial should stop now (a pure function of its context). */
export type Pruner = (context: PruneContext) => boolean;
