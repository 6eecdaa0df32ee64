/**
 * Sweeps (docs/sweeps.md): hyperparameter searches whose master lives on the server. The calls of
 * every sweep route, under `api.sweeps`, and the worker loop `api.sweeps.work` (sweep-work.ts).
 *
 *   await api.sweeps.create("mnist.lr", { objective: { metric: "loss" }, space, template });
 *   await api.sweeps.work("mnist.lr", async (trial, ctx) => { ...; return { loss } });
 *   const { members } = await api.sweeps.ensemble("mnist.lr", { top: 5 });
 */
import type { CallOptions, Context } from "./context.js";
import { readBody } from "./progress.js";
import { fromSafetensors } from "./safetensors.js";
import {
  askTrial,
  completeTrial,
  deleteSweep,
  getCurvesPlot,
  getObjectivePlot,
  getSweep,
  getSweepEnsemble,
  getTrial,
  listTrials,
  putSweep,
  replicateTrial,
  reportTrial,
} from "./generated/sdk.gen.js";
import type { BoundaryWarning, Sweep, SweepConfig, Trial, TrialDetail, TrialLease, TrialReportAnswer } from "./generated/types.gen.js";
import { newIdempotencyKey } from "./idempotency.js";
import { isShardstepProblem } from "./problem.js";
import { settle } from "./transport.js";
import { workLoop, type SweepWorkOptions, type TrainFunction, type WorkSummary } from "./sweep-work.js";

/** Metric name → value, as reports and completions carry them. */
export type Metrics = Record<string, number>;

/** A trial of a sweep: its parameters, state, objective, shard, budget and seed. */
export type SweepTrial = Trial;

/** A trial with its learning curve (every report). */
export type SweepTrialDetail = TrialDetail;

/** A boundary warning: the best value of a parameter within the outer 5% of its range, and the bound to widen to (`widen_to`). */
export type SweepWarning = BoundaryWarning;

/** The sweep as the master sees it: configuration, counts by state, the best trial, warnings, stages. */
export type SweepInfo = Sweep;

/** A trial leased to a worker: train it, report, complete. */
export type SweepLease = Extract<TrialLease, { status: "leased" }>;

/** The answer to a lease request: a trial, or wait `retry_after` seconds, or done (every trial has finished). */
export type AskAnswer = SweepLease | Extract<TrialLease, { status: "wait" }> | Extract<TrialLease, { status: "done" }>;

/** The master's answer to a report: continue, or stop (pruned, or the budget is used). */
export type ReportAnswer = Omit<TrialReportAnswer, "trial"> & {
  trial: SweepTrial;
  /** `decision === "stop"`. */
  stop: boolean;
  /** The trial was pruned: it is over (no completion needed). */
  pruned: boolean;
};

export interface ReportInput {
  /** The lease's id. */
  lease: string;
  /** The resource used so far, in the sweep's unit; increasing within a trial. */
  step: number;
  /** The sweep's objective metric among them. */
  metrics: Metrics;
  /** Snapshot the trial's shard first: a resumed trial starts from it. */
  checkpoint?: boolean;
}

export interface CompleteInput {
  lease: string;
  /** The final metrics, the objective among them (for a failed trial: whatever is known, maybe none). */
  metrics: Metrics;
  /** The trial failed (diverged, crashed): why, 1 to 512 characters. */
  failed?: string;
}

/** One member of an ensemble: a trial's weights. */
export interface EnsembleMember {
  /** The tensor's name, `trial-<id>`. */
  name: string;
  trial: number;
  weights: Float32Array;
  /** The trial's objective (null when unknown). */
  value: number | null;
}

export interface SweepEnsemble {
  /** Best first (X-Ensemble-Members). */
  members: EnsembleMember[];
  /** The safetensors `__metadata__`. */
  metadata: Record<string, string>;
  /** The safetensors file as it came. */
  bytes: Uint8Array;
}

/** `top`: the top k trials of the search; `replicatesOf`: a trial and its complete replicates; neither: the best trial and its replicates. */
export type EnsembleSelection = { top: number } | { replicatesOf?: number };

export interface SweepCalls {
  /** PUT: creates the sweep (created: true) or finds it with this configuration already (false); another configuration is a 409 (delete first). */
  create(name: string, config: SweepConfig, options?: CallOptions): Promise<{ created: boolean; sweep: SweepInfo }>;
  /** Counts by state, the best trial, boundary warnings, stages. */
  get(name: string, options?: CallOptions): Promise<SweepInfo>;
  /** Deletes the sweep, its trials and their shards; a retry that finds it gone already counts as done. */
  delete(name: string, options?: CallOptions): Promise<void>;
  /** The trials table, by id. */
  trials(name: string, options?: CallOptions): Promise<SweepTrial[]>;
  /** One trial with its learning curve. */
  trial(name: string, id: number, options?: CallOptions): Promise<SweepTrialDetail>;
  /**
   * Asks for a trial: a lease, or wait, or done. Sends an Idempotency-Key (a new one per call
   * unless given; `false` sends none) that every retry repeats, so a lost answer gives the same lease.
   */
  ask(name: string, options?: CallOptions & { worker?: string; idempotencyKey?: string | false }): Promise<AskAnswer>;
  /** Reports metrics at a step (renews the lease); the answer says continue or stop. A retried step answers the recorded decision. */
  report(name: string, trial: number, input: ReportInput, options?: CallOptions): Promise<ReportAnswer>;
  /** Ends the trial with its final metrics, or as failed. A second completion answers the trial. */
  complete(name: string, trial: number, input: CompleteInput, options?: CallOptions): Promise<SweepTrial>;
  /** Makes sure trial `of` (default: the best) has `count` replicates under other initialisation seeds; answers them. */
  replicate(name: string, input: { count: number; of?: number }, options?: CallOptions): Promise<SweepTrial[]>;
  /** The members' weights (one safetensors file), best first: average their predictions (`averagePredictions`). */
  ensemble(name: string, selection?: EnsembleSelection, options?: CallOptions): Promise<SweepEnsemble>;
  /** The objective against one parameter, as an SVG document. */
  objectivePlot(name: string, param: string, options?: CallOptions): Promise<string>;
  /** The learning curves of the search's trials, as an SVG document. */
  curvesPlot(name: string, options?: CallOptions): Promise<string>;
  /**
   * The worker loop: ask for a trial, train it with `train`, report through its context, complete;
   * wait when told to; until the sweep is done. Answers what it ran (sweep-work.ts).
   */
  work(name: string, train: TrainFunction, options?: SweepWorkOptions): Promise<WorkSummary>;
}

const trialOf = (t: Trial): SweepTrial => {
  if (t === null) throw new TypeError("shardstep: the answer has no trial");
  return t;
};

/** The members of an ensemble file, in the order X-Ensemble-Members lists them. */
export function ensembleOf(bytes: Uint8Array, header: string | null): SweepEnsemble {
  const set = fromSafetensors(bytes);
  const values = set.metadata.values === undefined ? [] : (JSON.parse(set.metadata.values) as (number | null)[]);
  const listed = set.metadata.members === undefined ? undefined : (JSON.parse(set.metadata.members) as string[]);
  const names = header ? header.split(",").map((n) => n.trim()).filter(Boolean) : (listed ?? Object.keys(set.tensors));
  const members = names.map((name): EnsembleMember => {
    const weights = set.tensors[name];
    if (weights === undefined) throw new TypeError(`shardstep: the ensemble lists '${name}' but its file has no such tensor`);
    const trial = Number(/^trial-(\d+)$/.exec(name)?.[1] ?? NaN);
    const at = listed?.indexOf(name) ?? -1;
    return { name, trial, weights, value: at >= 0 ? (values[at] ?? null) : null };
  });
  return { members, metadata: set.metadata, bytes };
}

export function sweepCalls(context: Context): { sweeps: SweepCalls } {
  const { client, run } = context;
  const path = (sweep: string) => ({ sweep });
  const trialPath = (sweep: string, trial: number) => ({ sweep, trial });

  const sweeps: SweepCalls = {
    create: (name, config, options) =>
      run(options, true, async (signal) => {
        const { data, response } = await settle(putSweep({ client, path: path(name), body: config, signal }));
        return { created: response.status === 201, sweep: data };
      }),

    get: (name, options) => run(options, true, async (signal) => (await settle(getSweep({ client, path: path(name), signal }))).data),

    delete: (name, options) =>
      run(options, true, async (signal, attempt) => {
        try {
          await settle(deleteSweep({ client, path: path(name), signal }));
        } catch (e) {
          if (!(attempt > 1 && isShardstepProblem(e, "not-found"))) throw e;
        }
      }),

    trials: (name, options) => run(options, true, async (signal) => (await settle(listTrials({ client, path: path(name), signal }))).data.trials.map(trialOf)),

    trial: (name, id, options) => run(options, true, async (signal) => (await settle(getTrial({ client, path: trialPath(name, id), signal }))).data),

    ask: (name, options = {}) => {
      const key = options.idempotencyKey === false ? undefined : (options.idempotencyKey ?? newIdempotencyKey());
      const body = options.worker === undefined ? {} : { worker: options.worker };
      const headers = key === undefined ? undefined : { "idempotency-key": key };
      // With a key, a retry of a lost answer answers the same lease: safe to send again.
      return run(options, key !== undefined, async (signal) => {
        const answer = (await settle(askTrial({ client, path: path(name), body, headers, signal }))).data;
        return (answer.status === "leased" ? { ...answer, trial: trialOf(answer.trial) } : answer) as AskAnswer;
      });
    },

    // A report of a step already recorded answers the recorded decision: safe to send again.
    report: (name, trial, input, options) =>
      run(options, true, async (signal) => {
        const body = { lease: input.lease, step: input.step, metrics: input.metrics, ...(input.checkpoint === undefined ? {} : { checkpoint: input.checkpoint }) };
        const answer = (await settle(reportTrial({ client, path: trialPath(name, trial), body, signal }))).data;
        const t = trialOf(answer.trial);
        return { ...answer, trial: t, stop: answer.decision === "stop", pruned: t.state === "pruned" };
      }),

    // A second completion under the same lease answers the trial: safe to send again.
    complete: (name, trial, input, options) =>
      run(options, true, async (signal) => {
        const body = { lease: input.lease, metrics: input.metrics, ...(input.failed === undefined ? {} : { failed: input.failed }) };
        return trialOf((await settle(completeTrial({ client, path: trialPath(name, trial), body, signal }))).data);
      }),

    // Declarative (make sure there are `count`): a retry creates nothing more.
    replicate: (name, input, options) =>
      run(options, true, async (signal) => (await settle(replicateTrial({ client, path: path(name), body: input, signal }))).data.trials.map(trialOf)),

    ensemble: (name, selection = {}, options) =>
      run(options, true, async (signal) => {
        const query = "top" in selection ? { top: selection.top } : selection.replicatesOf === undefined ? undefined : { replicates_of: selection.replicatesOf };
        const { response } = await settle(getSweepEnsemble({ client, path: path(name), query, parseAs: "stream", signal }));
        return ensembleOf(new Uint8Array(await readBody(response)), response.headers.get("x-ensemble-members"));
      }),

    objectivePlot: (name, param, options) =>
      run(options, true, async (signal) => String((await settle(getObjectivePlot({ client, path: path(name), query: { param }, parseAs: "text", signal }))).data)),

    curvesPlot: (name, options) => run(options, true, async (signal) => String((await settle(getCurvesPlot({ client, path: path(name), parseAs: "text", signal }))).data)),

    work: (name, train, options) => workLoop(sweeps, name, train, options),
  };
  return { sweeps };
}
