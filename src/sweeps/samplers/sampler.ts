import type { Assignment, Direction, Space, TrialRecord } from "../space";

/** What a sampler is given to suggest the parameters of trial `number`. */
export interface SuggestContext {
  readonly space: Space;
  readonly direction: Direction;
  readonly seed: number;
  /** The number of the trial to suggest. */
  readonly number: number;
  /** Every trial suggested before it, by number, with what is known of them now. */
  readonly trials: readonly TrialRecord[];
}

/**
 * A sampler: the parameters of the next trial, a pure function of its context (the same seed and
 * the same results give the same suggestion).
 */
export type Sampler = (context: SuggestContext) => Assignment;
