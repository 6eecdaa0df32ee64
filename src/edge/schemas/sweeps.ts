import { z } from "@hono/zod-openapi";
import { SweepConfigInput } from "../../config/sweep";
import { MAX_ENSEMBLE_MEMBERS, MAX_SWEEP_METRICS, MAX_SWEEP_REPLICATES } from "../../limits";
import { idempotencyKeyHeader } from "../idempotency";
import { MODEL_NAME } from "../../names";
import { integer } from "../routes/common";

/** Sweeps' path parameters, request bodies and answers (docs/sweeps.md). */

export const SweepParams = z.object({
  sweep: z.string().regex(MODEL_NAME).openapi({ param: { name: "sweep", in: "path" }, description: "The sweep's name: letters, digits, '.', '_', '-'.", example: "mnist.lr-search" }),
});

export const TrialParams = SweepParams.extend({
  trial: integer(0).openapi({ param: { name: "trial", in: "path" }, description: "The trial's id.", example: 3 }),
});

const ParamValue = z.union([z.string(), z.number(), z.boolean()]);
const Metrics = z
  .record(z.string().min(1).max(64), z.number())
  .refine((m) => Object.keys(m).length <= MAX_SWEEP_METRICS, { error: `at most ${MAX_SWEEP_METRICS} metrics` })
  .openapi({ description: "Metric name → value; the sweep's objective metric is required.", example: { loss: 0.31, accuracy: 0.91 } });

const TrialState = z.enum(["queued", "running", "complete", "pruned", "failed"]);
const TrialCheckpoint = z.object({ id: z.number().int(), step: z.number() });

export const Trial = z
  .object({
    id: z.number().int(),
    search_index: z.number().int().nullable().openapi({ description: "Its number among the search's trials; null for a replicate." }),
    replicate_of: z.number().int().nullable(),
    state: TrialState,
    params: z.record(z.string(), ParamValue),
    stage: z.number().int(),
    budget: z.number().openapi({ description: "The resource the trial may use, in the sweep's unit." }),
    value: z.number().nullable().openapi({ description: "The objective of a complete trial." }),
    metrics: z.record(z.string(), z.number()).nullable(),
    reason: z.string().nullable().openapi({ description: "Why it was pruned or failed." }),
    unapplied: z.array(z.string()).openapi({ description: "Parameters the trial's rule has no use for (recorded, not applied)." }),
    shard: z.string().nullable().openapi({ description: "The shard the trial trains (null without a template)." }),
    seed: z.number().int().openapi({ description: "The initialisation seed of the trial's shard or model (the template's; a replicate's own), or the sweep's seed when its weights start at zeros; for the client's own draws too." }),
    worker: z.string().nullable(),
    leases: z.number().int().openapi({ description: "Leases given for it (more than one: it was resumed)." }),
    checkpoint: TrialCheckpoint.nullable().openapi({ description: "Its last checkpoint, where a resumed trial starts." }),
    last_report: z.object({ step: z.number(), value: z.number() }).nullable(),
    reports: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Trial");

export const TrialDetail = Trial.extend({
  curve: z.array(z.object({ step: z.number(), value: z.number(), metrics: z.record(z.string(), z.number()) })),
}).openapi("TrialDetail");

export const TrialList = z.object({ trials: z.array(Trial) }).openapi("TrialList");

const BoundaryWarning = z
  .object({
    param: z.string(),
    side: z.enum(["low", "high"]),
    value: z.number(),
    low: z.number(),
    high: z.number(),
    widen_to: z.number().openapi({ description: "The bound to try instead: a decade beyond for a log parameter, half the range's width beyond otherwise." }),
    message: z.string(),
  })
  .openapi("BoundaryWarning");

const Stage = z.object({
  stage: z.number().int(),
  trials: z.number().int(),
  budget: z.number(),
  ranges: z.record(z.string(), z.union([z.object({ low: z.number(), high: z.number() }), z.object({ values: z.array(ParamValue) })])),
  started: z.boolean(),
});

export const Sweep = z
  .object({
    name: z.string(),
    config: SweepConfigInput,
    state: z.enum(["running", "done"]),
    counts: z.record(TrialState, z.number().int()),
    trials: z.number().int().openapi({ description: "Search trials in all." }),
    best: z.union([Trial, z.null()]).openapi({ description: "The best complete trial; null until one completes." }),
    warnings: z.array(BoundaryWarning).openapi({ description: "The best value of a parameter lies within the outer 5% of its range (log space for log parameters): the optimum may be outside it." }),
    stages: z.array(Stage),
    created_at: z.string(),
  })
  .openapi("Sweep");

export const AskBody = z
  .strictObject({ worker: z.string().min(1).max(128).optional().openapi({ description: "The worker's name, shown in the trials table." }) })
  .openapi("TrialRequest");

export const AskHeaders = z.object({
  "idempotency-key": idempotencyKeyHeader("A retry with the same key answers the same lease."),
});

export const Lease = z
  .discriminatedUnion("status", [
    z.object({
      status: z.literal("leased"),
      trial: Trial,
      lease: z.object({ id: z.string(), expires_at: z.string() }),
      resume: TrialCheckpoint.nullable().openapi({ description: "The checkpoint the trial's shard was brought back to (resume at its step); null: start afresh." }),
      unit: z.string(),
      replayed: z.boolean(),
    }),
    z.object({ status: z.literal("wait"), retry_after: z.number().int(), reason: z.string() }),
    z.object({ status: z.literal("done") }),
  ])
  .openapi("TrialLease");

export const ReportBody = z
  .strictObject({
    lease: z.string().min(1).max(64),
    step: z.number().min(0).openapi({ description: "The resource used so far (step, epoch), increasing within a trial." }),
    metrics: Metrics,
    checkpoint: z.boolean().optional().openapi({ description: "Take a checkpoint of the trial's shard: a trial resumed by another worker starts from it." }),
  })
  .openapi("TrialReport");

export const ReportAnswer = z
  .object({
    decision: z.enum(["continue", "stop"]),
    reason: z.string().nullable(),
    trial: Trial,
    lease_expires_at: z.string().nullable(),
  })
  .openapi("TrialReportAnswer");

export const CompleteBody = z
  .strictObject({
    lease: z.string().min(1).max(64),
    metrics: Metrics,
    failed: z.string().min(1).max(512).optional().openapi({ description: "The trial failed (diverged, crashed): why. It then counts as no result." }),
  })
  .openapi("TrialCompletion");

export const ReplicatesBody = z
  .strictObject({
    count: z.number().int().min(1).max(MAX_SWEEP_REPLICATES),
    of: z.number().int().min(0).optional().openapi({ description: "The trial to replicate (default: the best)." }),
  })
  .openapi("ReplicatesRequest");

export const EnsembleQuery = z
  .object({
    top: integer(1, MAX_ENSEMBLE_MEMBERS).optional().openapi({ description: "The top k trials by the objective." }),
    replicates_of: integer(0).optional().openapi({ description: "A trial and its complete replicates (default, with neither: the best trial's)." }),
  })
  .refine((q) => q.top === undefined || q.replicates_of === undefined, { error: "ask for top or replicates_of, not both" });

export const PlotQuery = z.object({ param: z.string().min(1).max(64).openapi({ description: "The parameter on the x axis." }) });
