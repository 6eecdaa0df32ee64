/**
 * A tab as a worker of a hyperparameter sweep (docs/sweeps.md), through the client's worker loop
 * `api.sweeps.work` (packages/client/src/sweep-work.ts): the loop asks the sweep for a trial, waits
 * when told to, and completes each trial with the metrics the training function answers, until the
 * sweep is done. The training function here trains the trial's shard (made by the sweep from its
 * template with the trial's parameters: the learning rate, the rule, ... are applied on the server)
 * with the trial's client-side parameters (`batch`: the minibatch size), and reports the loss on the
 * tab's held-out digits every REPORT_EVERY pushes, with a checkpoint of the shard (a trial whose
 * lease runs out resumes elsewhere from it). It stops when the answer says stop: pruned (the trial
 * is over) or its budget used (the loop completes it with the last report's metrics). Several tabs
 * can work on one sweep; each takes its own trials.
 *
 * The budget's unit: `steps` (or any unit but `epochs`) counts pushes, so every trial reports at the
 * same steps and the pruner compares like with like; `epochs` counts passes over the tab's training
 * digits.
 *
 * Pause: inside a trial, the tab stops before its next push and keeps the trial (a tab paused for
 * longer than the sweep's `lease_seconds` loses it: the trial goes back to the queue, and the tab
 * learns so at its next report); between trials, the loop ends.
 */
import type { TrainData } from "../examples/mnist/shard";
import type { Api } from "../examples/mnist/train";
import type { Metrics, Shardstep, SweepLease, SweepTrial, TrialContext, TrialOutcome } from "../sdk/client";
import { ShardstepProblem } from "../sdk/client";
import { describe } from "./describe";
import { ShardTrainer, type LearnerState } from "./learner";

/** Pushes between two reports. */
export const REPORT_EVERY = 10;
/** The minibatch size of a trial whose parameters have none (`batch` or `batch_size`). */
export const DEFAULT_BATCH = 64;
/** The metrics every report carries: the objective of the sweep must be one of them. */
export const REPORTED_METRICS = ["loss", "accuracy", "train_loss"] as const;

/**
 * idle: not started; working: asking, training, reporting or waiting; pausing: asked to stop, a call
 * may be in flight; paused: stopped (in a trial, holding it; or between trials); done: the sweep has
 * no trial left; failed: stopped by `error`.
 */
export type WorkerPhase = "idle" | "working" | "pausing" | "paused" | "done" | "failed";

export type ParamValue = string | number | boolean;

/** The trial this tab trains. */
export interface TrialRun {
  id: number;
  stage: number;
  shard: string;
  params: Record<string, ParamValue>;
  /** Parameters the trial's rule has no use for (recorded by the sweep, not applied). */
  unapplied: string[];
  budget: number;
  unit: string;
  batchSize: number;
  /** The step the trial was resumed at (another worker's lease expired), or null. */
  resumedFrom: number | null;
  /** The trial's step: pushes (or epochs) done, counting those before a resume. */
  step: number;
}

/** A report of this tab and the sweep's answer. */
export interface Decision {
  trial: number;
  step: number;
  loss: number;
  accuracy: number;
  decision: "continue" | "stop";
  reason: string | null;
}

/** How a trial this tab took ended for it. `lost`: its lease ended (the trial went back to the queue). */
export interface FinishedTrial {
  trial: number;
  state: TrialOutcome["outcome"];
  /** The objective of a complete trial. */
  value: number | null;
  step: number;
  reason: string | null;
}

export interface SweepWorkerState {
  sweep: string;
  /** The worker's name in the sweep's trials table: the tab's id. */
  worker: string;
  phase: WorkerPhase;
  /** What the tab does now, in words. */
  activity: string;
  /** The sweep's objective metric and direction, once read. */
  objective: { metric: string; direction: string } | undefined;
  /** The trial this tab trains, or trained last. */
  trial: TrialRun | undefined;
  /** That trial's training: pushes, losses, held-out points, for the numbers and charts. */
  training: LearnerState | undefined;
  /** Every report of this tab and its answer, oldest first. */
  decisions: Decision[];
  /** The trials this tab finished, in order. */
  outcomes: FinishedTrial[];
  error?: string;
}

export interface SweepWorkerOptions {
  api: Api & Pick<Shardstep, "sweeps">;
  sweep: string;
  data: TrainData;
  /** The tab's id: its worker name and the prefix of its Idempotency-Keys. */
  clientId: string;
}

export class SweepWorker {
  readonly state: SweepWorkerState;
  private loop: Promise<void> | undefined;
  /** Aborts the worker loop (a pause between trials). */
  private abort: AbortController | undefined;
  /** Whether a trial is leased to the tab now. */
  private inTrial = false;
  /** Set while paused inside a trial: the training waits for it. */
  private gate: { opened: Promise<void>; open: () => void } | undefined;

  constructor(
    private readonly options: SweepWorkerOptions,
    private readonly changed: (state: SweepWorkerState) => void,
  ) {
    this.state = {
      sweep: options.sweep, worker: options.clientId, phase: "idle", activity: "", objective: undefined,
      trial: undefined, training: undefined, decisions: [], outcomes: [],
    };
  }

  /** Starts, or resumes (the trial it held, if any); a no-op while it works or once the sweep is done. */
  start(): void {
    if (this.state.phase === "working" || this.state.phase === "done") return;
    // Pausing between trials: the loop is ending; Train again once it has.
    if (this.state.phase === "pausing" && !this.gate) return;
    this.set({ phase: "working", error: undefined, activity: this.state.trial && this.inTrial ? `training trial ${this.state.trial.id}` : this.state.activity });
    if (this.gate) {
      this.gate.open();
      this.gate = undefined;
    }
    this.loop ??= this.run().finally(() => (this.loop = undefined));
  }

  /** Stops before the next push of the trial (keeping it), or ends the loop between trials. */
  pause(): void {
    if (this.state.phase !== "working") return;
    this.set({ phase: "pausing", activity: "pausing after the call in flight" });
    if (this.inTrial) {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      this.gate = { opened, open };
    } else {
      this.abort?.abort(new DOMException("paused", "AbortError"));
    }
  }

  private async run(): Promise<void> {
    const abort = (this.abort = new AbortController());
    try {
      if (!this.state.objective) await this.readObjective();
      this.set({ activity: "asking for a trial" });
      await this.options.api.sweeps.work(this.options.sweep, (trial, context) => this.train(trial, context), {
        worker: this.options.clientId,
        signal: abort.signal,
        onLease: (lease) => this.begin(lease),
        onTrialEnd: (outcome) => this.ended(outcome),
        onWait: (wait) => this.set({ activity: `waiting ${wait.retry_after} s: ${wait.reason}` }),
      });
      this.set({ phase: "done", activity: "the sweep is done" });
    } catch (error) {
      if (abort.signal.aborted) this.set({ phase: "paused", activity: "paused between trials" });
      else this.set({ phase: "failed", error: describe(error) });
    }
  }

  /** The sweep's objective: a tab reports held-out loss and accuracy, so the objective must be one of its metrics. */
  private async readObjective(): Promise<void> {
    this.set({ activity: `reading sweep ${this.options.sweep}` });
    let objective: SweepWorkerState["objective"];
    try {
      const { config } = await this.options.api.sweeps.get(this.options.sweep);
      objective = { metric: config.objective.metric, direction: config.objective.direction ?? "minimize" };
    } catch (error) {
      if (error instanceof ShardstepProblem && error.status === 404) throw new Error(`there is no sweep '${this.options.sweep}' (create it first: docs/sweeps.md)`);
      throw error;
    }
    if (!(REPORTED_METRICS as readonly string[]).includes(objective.metric)) {
      throw new Error(`the sweep's objective is '${objective.metric}'; this page reports ${REPORTED_METRICS.join(", ")}`);
    }
    this.set({ objective });
  }

  /** A trial was leased: what it is, for the page. */
  private begin({ trial, resume, unit }: SweepLease): void {
    if (trial.shard === null) throw new Error(`sweep '${this.options.sweep}' has no template: its trials have no shard for this page to train`);
    const requested = trial.params.batch ?? trial.params.batch_size;
    const batchSize = typeof requested === "number" ? Math.min(Math.max(1, Math.round(requested)), this.options.data.train.size) : DEFAULT_BATCH;
    this.inTrial = true;
    this.set({
      trial: {
        id: trial.id, stage: trial.stage, shard: trial.shard, params: trial.params, unapplied: trial.unapplied,
        budget: trial.budget, unit, batchSize, resumedFrom: resume?.step ?? null, step: resume?.step ?? 0,
      },
      activity: `training trial ${trial.id}`,
    });
  }

  /** The training function of the worker loop: pushes, reports, and the metrics to complete with. */
  private async train(trial: SweepTrial, context: TrialContext): Promise<Metrics> {
    const run = this.state.trial!;
    const trainer = new ShardTrainer(
      {
        api: this.options.api, shard: run.shard, data: this.options.data, clientId: this.options.clientId,
        keyPrefix: `t${trial.id}.${trial.leases}-`, batchSize: run.batchSize, seed: trial.seed, evaluateEvery: Infinity,
      },
      () => this.changed(this.state),
    );
    trainer.state.phase = "training";
    this.set({ training: trainer.state });
    await trainer.pull();
    const before = this.pushesBefore(run);
    let losses: number[] = [];
    for (;;) {
      await this.waitWhilePaused(run);
      const loss = await trainer.step();
      if (loss === undefined) continue; // refused as too stale and pulled afresh: nothing to count
      if (!Number.isFinite(loss)) throw new Error(`diverged: the minibatch loss is ${loss} at ${run.unit} ${run.step}`);
      losses.push(loss);
      const pushes = before + trainer.state.pushes;
      run.step = run.unit === "epochs" ? Number(((pushes * run.batchSize) / this.options.data.train.size).toFixed(6)) : pushes;
      if (pushes % REPORT_EVERY !== 0 && run.step < run.budget) continue;

      const heldOut = trainer.evaluate();
      if (!Number.isFinite(heldOut.loss)) throw new Error(`diverged: the held-out loss is ${heldOut.loss} at ${run.unit} ${run.step}`);
      const metrics = { loss: heldOut.loss, accuracy: heldOut.accuracy, train_loss: losses.reduce((a, b) => a + b, 0) / losses.length };
      losses = [];
      this.set({ activity: `reporting trial ${run.id} at ${run.unit} ${run.step}` });
      // Lease lost: the report throws, and the loop ends the trial as lost for this tab.
      const answer = await context.report(run.step, metrics, { checkpoint: true });
      this.state.decisions.push({ trial: run.id, step: run.step, loss: heldOut.loss, accuracy: heldOut.accuracy, decision: answer.decision, reason: answer.reason });
      this.set({ activity: `training trial ${run.id}` });
      // Stop: pruned (the trial is over already) or its budget used (the loop completes it with these metrics).
      if (answer.stop) return metrics;
    }
  }

  /** The pushes a resumed trial had made before its checkpoint. */
  private pushesBefore(run: TrialRun): number {
    if (run.resumedFrom === null) return 0;
    return run.unit === "epochs" ? Math.round((run.resumedFrom * this.options.data.train.size) / run.batchSize) : Math.round(run.resumedFrom);
  }

  private async waitWhilePaused(run: TrialRun): Promise<void> {
    if (!this.gate) return;
    this.set({ phase: "paused", activity: `paused in trial ${run.id} (its lease runs out after the sweep's lease_seconds)` });
    await this.gate.opened;
  }

  private ended(outcome: TrialOutcome): void {
    this.inTrial = false;
    const step = this.state.trial?.id === outcome.trial.id ? this.state.trial.step : outcome.step;
    this.state.outcomes.push({ trial: outcome.trial.id, state: outcome.outcome, value: outcome.trial.value, step, reason: outcome.reason });
    if (this.state.training) this.state.training.phase = "paused";
    this.set({ activity: `trial ${outcome.trial.id} ${outcome.outcome}; asking for the next` });
  }

  private set(change: Partial<SweepWorkerState>): void {
    Object.assign(this.state, change);
    this.changed(this.state);
  }
}
