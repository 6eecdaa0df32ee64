/**
 * The worker loop of a sweep (docs/sweeps.md, "Workers"): ask for a trial; on `wait` sleep the time
 * the master asks for; on a lease run the training function with the trial and a context to report
 * through; complete the trial with its final metrics (or as failed with the error's message); until
 * the master answers `done`.
 *
 *   const summary = await api.sweeps.work("mnist.lr", async (trial, ctx) => {
 *     for (let step = ctx.resumeStep + 1; step <= trial.budget; step++) {
 *       ...                                                   // push a gradient to trial.shard
 *       if (step % 20 === 0 && (await ctx.report(step, { loss })).stop) break;
 *     }
 *     return { loss, accuracy };                              // the completion's metrics
 *   });
 */
import type { CallOptions } from "./context.js";
import { isShardstepProblem } from "./problem.js";
import { sleep } from "./retry.js";
import type { AskAnswer, Metrics, ReportAnswer, SweepCalls, SweepLease, SweepTrial } from "./sweeps.js";

/**
 * Thrown (by `context.throwIfStopped()`, or by the training function itself) to end a trial the
 * master told to stop. The loop then completes it with `metrics` (default: the last reported
 * ones), unless it was pruned, which ends it already.
 */
export class TrialStopped extends Error {
  override readonly name = "TrialStopped";
  constructor(
    /** Why the master said stop. */
    readonly reason: string | null = null,
    /** The final metrics to complete the trial with (default: the last reported). */
    readonly metrics?: Metrics,
  ) {
    super(`the sweep's master stopped the trial${reason ? `: ${reason}` : ""}`);
  }
}

/** What a training function gets besides its trial: the lease, where to resume, and how to report. */
export interface TrialContext {
  readonly sweep: string;
  readonly lease: SweepLease["lease"];
  /** The checkpoint the trial's shard was brought back to (a resumed trial), or null. */
  readonly resume: SweepLease["resume"];
  /** The step to continue after: the resumed checkpoint's step, or 0 for a fresh trial. */
  readonly resumeStep: number;
  /** The sweep's unit of budget (steps, epochs, ...). */
  readonly unit: string;
  /**
   * Aborted when the trial is over for this worker (pruned, or its lease lost; the reason is a
   * TrialStopped or the lease-lost problem) and when the loop's own signal fires. Pass it to pushes.
   */
  readonly signal: AbortSignal;
  /** The master's stop decision once it gave one (pruned, or the budget used), else null. */
  readonly stopped: ReportAnswer | null;
  /** The metrics of the last report (a completion without metrics of its own uses them). */
  readonly lastMetrics: Metrics | undefined;
  /**
   * Reports `metrics` (the sweep's objective among them, all finite) at `step`; renews the lease.
   * Answers the decision: `stop` when pruned or when the budget is used. A non-finite metric
   * throws (the trial then fails: it diverged).
   */
  report(step: number, metrics: Metrics, options?: { checkpoint?: boolean }): Promise<ReportAnswer>;
  /** Throws TrialStopped if the master said stop: `await ctx.report(...); ctx.throwIfStopped();`. */
  throwIfStopped(): void;
}

/**
 * Trains one trial: push to `trial.shard` (its parameters are `trial.params`, its budget
 * `trial.budget`, its seed `trial.seed`), report through `context`, and answer the final metrics
 * (or nothing: the last reported ones are used). Throwing fails the trial with the error's message.
 */
export type TrainFunction = (trial: SweepTrial, context: TrialContext) => Promise<Metrics | void> | Metrics | void;

/** How a trial ended for this worker: `lost` when its lease ended (another worker resumes it). */
export type TrialOutcomeKind = "complete" | "pruned" | "failed" | "lost";

export interface TrialOutcome {
  outcome: TrialOutcomeKind;
  /** The trial as last answered by the master. */
  trial: SweepTrial;
  /** The metrics it was completed with (or the last reported). */
  metrics: Metrics | undefined;
  /** Why it was pruned, failed or lost. */
  reason: string | null;
  /** The last step reported (resumeStep when none). */
  step: number;
}

export interface WorkSummary {
  /** Trials leased and run. */
  trials: number;
  completed: number;
  pruned: number;
  failed: number;
  /** Trials whose lease ended under this worker (the master gives them to another). */
  lost: number;
  /** Every trial's end, in order. */
  outcomes: TrialOutcome[];
}

export interface SweepWorkOptions extends CallOptions {
  /** The worker's name, shown in the trials table. */
  worker?: string;
  /** Stop after this many trials (default: when the sweep is done). */
  maxTrials?: number;
  /** Called when a trial is leased, before training. */
  onLease?: (lease: SweepLease) => void;
  /** Called when a trial ends. */
  onTrialEnd?: (outcome: TrialOutcome) => void;
  /** Called before each wait the master asks for. */
  onWait?: (wait: Extract<AskAnswer, { status: "wait" }>) => void;
}

/** The longest `failed` message the API takes. */
const MAX_FAILED = 512;

const messageOf = (error: unknown): string => {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return (text || "the training function failed").slice(0, MAX_FAILED);
};

const finiteOnly = (metrics: Metrics | undefined): Metrics => Object.fromEntries(Object.entries(metrics ?? {}).filter(([, v]) => Number.isFinite(v)));

const isLeaseLost = (e: unknown) => isShardstepProblem(e, "lease-lost");

/** Runs one leased trial to its end (for this worker). */
async function runTrial(calls: SweepCalls, sweep: string, lease: SweepLease, train: TrainFunction, options: SweepWorkOptions): Promise<TrialOutcome> {
  const call: CallOptions = { signal: options.signal, retry: options.retry };
  const id = lease.trial.id;
  const resumeStep = lease.resume?.step ?? 0;
  const over = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, over.signal]) : over.signal;
  let trial = lease.trial;
  let stopped: ReportAnswer | null = null;
  let lastMetrics: Metrics | undefined;
  let step = resumeStep;
  let lost: string | null = null;

  const end = (outcome: TrialOutcomeKind, reason: string | null, metrics = lastMetrics): TrialOutcome => ({ outcome, trial, metrics, reason, step });
  const outcomeOf = (t: SweepTrial): TrialOutcomeKind => (t.state === "complete" || t.state === "pruned" || t.state === "failed" ? t.state : "lost");
  const lostNow = (e: unknown): TrialOutcome => end("lost", lost ?? (isShardstepProblem(e) ? e.detail : messageOf(e)));

  const context: TrialContext = {
    sweep,
    lease: lease.lease,
    resume: lease.resume,
    resumeStep,
    unit: lease.unit,
    signal,
    get stopped() {
      return stopped;
    },
    get lastMetrics() {
      return lastMetrics;
    },
    async report(at, metrics, reportOptions = {}) {
      for (const [name, value] of Object.entries(metrics)) {
        if (!Number.isFinite(value)) throw new RangeError(`metric '${name}' is ${value} at ${lease.unit} ${at}: the trial diverged`);
      }
      try {
        const answer = await calls.report(sweep, id, { lease: lease.lease.id, step: at, metrics, ...(reportOptions.checkpoint ? { checkpoint: true } : {}) }, call);
        trial = answer.trial;
        lastMetrics = metrics;
        step = at;
        if (answer.stop) {
          stopped = answer;
          if (answer.pruned) over.abort(new TrialStopped(answer.reason));
        }
        return answer;
      } catch (e) {
        if (isLeaseLost(e)) {
          lost = (e as { detail: string }).detail;
          over.abort(e);
        }
        throw e;
      }
    },
    throwIfStopped() {
      if (stopped) throw new TrialStopped(stopped.reason);
    },
  };

  /** Ends the trial as failed with `reason`. */
  const fail = async (reason: string): Promise<TrialOutcome> => {
    try {
      trial = await calls.complete(sweep, id, { lease: lease.lease.id, metrics: finiteOnly(lastMetrics), failed: reason.slice(0, MAX_FAILED) }, call);
      return end(outcomeOf(trial), trial.state === "failed" ? reason : trial.reason);
    } catch (e) {
      if (isLeaseLost(e)) return lostNow(e);
      throw e;
    }
  };

  /** Ends the trial with its final metrics (nothing to do when it was pruned). */
  const complete = async (metrics: Metrics | undefined): Promise<TrialOutcome> => {
    if (trial.state === "pruned") return end("pruned", trial.reason ?? stopped?.reason ?? null);
    const final = metrics ?? lastMetrics;
    if (final === undefined) return fail("the training function answered no metrics and reported none");
    try {
      trial = await calls.complete(sweep, id, { lease: lease.lease.id, metrics: final }, call);
      return end(outcomeOf(trial), trial.state === "complete" ? null : trial.reason, final);
    } catch (e) {
      if (isLeaseLost(e)) return lostNow(e);
      // The master refused the metrics (no objective, say): the trial must not stay leased forever.
      if (isShardstepProblem(e) && e.status === 400) return fail(`the completion was refused: ${e.detail}`);
      throw e;
    }
  };

  let result: { metrics: Metrics | undefined } | { error: unknown };
  try {
    result = { metrics: (await train(trial, context)) ?? undefined };
  } catch (error) {
    result = { error };
  }
  // The loop was told to stop: leave the trial; its lease runs out and another worker resumes it.
  if (options.signal?.aborted) throw options.signal.reason;
  if (lost !== null) return end("lost", lost);
  if ("metrics" in result) return complete(result.metrics);
  const { error } = result;
  if (isLeaseLost(error)) return lostNow(error);
  if (error instanceof TrialStopped || trial.state === "pruned") return complete(error instanceof TrialStopped ? error.metrics : undefined);
  return fail(messageOf(error));
}

/** `api.sweeps.work`: trials until the sweep is done (or `maxTrials`); answers what this worker ran. */
export async function workLoop(calls: SweepCalls, sweep: string, train: TrainFunction, options: SweepWorkOptions = {}): Promise<WorkSummary> {
  const summary: WorkSummary = { trials: 0, completed: 0, pruned: 0, failed: 0, lost: 0, outcomes: [] };
  const counter = { complete: "completed", pruned: "pruned", failed: "failed", lost: "lost" } as const;
  const call: CallOptions & { worker?: string } = { signal: options.signal, retry: options.retry, ...(options.worker === undefined ? {} : { worker: options.worker }) };
  while (options.maxTrials === undefined || summary.trials < options.maxTrials) {
    options.signal?.throwIfAborted();
    const answer = await calls.ask(sweep, call);
    if (answer.status === "done") break;
    if (answer.status === "wait") {
      options.onWait?.(answer);
      await sleep(answer.retry_after * 1000, options.signal);
      continue;
    }
    summary.trials++;
    options.onLease?.(answer);
    const outcome = await runTrial(calls, sweep, answer, train, options);
    summary[counter[outcome.outcome]]++;
    summary.outcomes.push(outcome);
    options.onTrialEnd?.(outcome);
  }
  return summary;
}
