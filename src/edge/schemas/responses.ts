import { z } from "@hono/zod-openapi";
import { MAX_CHECKPOINT_LABEL, MAX_JSON_FLOATS } from "../../limits";
import { averageSchema, scheduleSchemas, ShardConfigSchema } from "../../config";
import { LbfgsOutcome } from "../lbfgs-outcome";

export const Problem = z
  .object({
    type: z.string().openapi({ description: "A stable identifier of the cause, e.g. /problems/wrong-length." }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().openapi({ description: "What exactly was wrong." }),
    instance: z.string().optional(),
  })
  .catchall(z.unknown())
  .openapi("Problem", { description: "RFC 9457 problem details." });

/** A shard's resolved configuration: the single definition's resolved form (src/config). */
export const ShardConfig = ShardConfigSchema;

export const PlateauState = z
  .object({ lr: z.number(), best: z.number().nullable(), bad_epochs: z.number().int(), cooldown_counter: z.number().int(), reports: z.number().int() })
  .openapi("PlateauState");

export const MetricResult = z
  .object({ version: z.number().int(), lr: z.number().openapi({ description: "The learning rate the next update will use." }), plateau: PlateauState.nullable() })
  .openapi("MetricResult");

export const HyperInForce = z
  .record(z.string(), z.number())
  .openapi("HyperInForce", {
    description: "The scheduled hyperparameters the next update will use, by path ('momentum', 'betas.0', ...): `schedules` and a one_cycle's momentum cycling. Empty when none is scheduled.",
  });

export const ShardInfo = z
  .object({
    name: z.string(),
    version: z.number().int().openapi({ description: "Changes of the training state: updates, and restores of checkpoints." }),
    step: z.number().int().openapi({ description: "Steps of the optimizer: the step of bias corrections and of the schedule. Equal to version until a checkpoint is restored." }),
    revision: z.number().int().openapi({ description: "Changes of the weights (updates, uploads, restores): the ETag." }),
    lr: z.number().openapi({ description: "The learning rate the next update will use." }),
    hyper_in_force: HyperInForce,
    config: ShardConfig,
    averages: z.record(z.string(), z.intersection(averageSchema("resolved"), z.object({ count: z.number().int() }))).openapi({ description: "Each running average with the number of weights it has folded in." }),
    schedule_origin: z.number().int().openapi({ description: "The step at which the current schedule took effect." }),
    plateau: PlateauState.nullable(),
    resident_bytes: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("ShardInfo");

/** Hyperparameters by name, PyTorch's names: numbers, flags, choices and pairs (src/optim's field kinds). */
const HyperValues = z
  .record(z.string(), z.union([z.number(), z.boolean(), z.string(), z.array(z.number())]))
  .openapi({ description: "Hyperparameters by name (PyTorch's names), as the rule's own schema in ShardConfig.hyper describes each." });

/** One change of a shard's configuration: a live change (PATCH) or a restored checkpoint. */
const ConfigChange = z
  .discriminatedUnion("kind", [
    z.object({
      kind: z.literal("patch"),
      hyper: HyperValues.optional().openapi({ description: "The hyperparameters the change set, as sent." }),
      schedule: scheduleSchemas.resolved.optional().meta({ description: "The new schedule of the lr, resolved." }),
      schedules: z.record(z.string(), z.union([scheduleSchemas.resolved, z.null()])).optional().meta({ description: "Schedules of hyperparameters by path, resolved; null: no longer scheduled." }),
    }),
    z.object({
      kind: z.literal("restore"),
      restored_checkpoint: z.number().int().openapi({ description: "The checkpoint restored." }),
      checkpoint_version: z.number().int().openapi({ description: "The shard's version when the checkpoint was taken." }),
      step: z.number().int().openapi({ description: "The optimizer's step the shard went back to." }),
      hyper: HyperValues.openapi({ description: "The hyperparameters in force after the restore." }),
      schedule: scheduleSchemas.resolved.meta({ description: "The schedule of the lr in force after the restore." }),
    }),
  ])
  .openapi("ConfigChange");

export const ConfigHistory = z
  .array(z.object({ version: z.number().int().openapi({ description: "The version from which the change is in force." }), change: ConfigChange, at: z.string() }))
  .openapi("ConfigHistory");

export const RoundReceipt = z
  .object({
    number: z.number().int().openapi({ description: "The round the push counts in; it closes into version `number` (lbfgs: into revision `number`, the point of its closure call)." }),
    closed: z.boolean(),
    contributors: z.number().int().openapi({ description: "Pushes in the round so far (0 once closed)." }),
    quorum: z.number().int(),
    deadline: z.string().nullable().openapi({ description: "When the round closes at the latest (null once closed)." }),
    rolled: z.boolean().openapi({ description: "The push was computed for a closed round and counted in this one." }),
  })
  .openapi("RoundReceipt");

export const PushSummary = z
  .object({
    version: z.number().int(),
    revision: z.number().int(),
    lr: z.number().openapi({ description: "Learning rate the update used (0 when nothing was applied)." }),
    applied: z.boolean(),
    skipped: z.literal("non-finite").optional(),
    non_finite: z.number().int(),
    staleness: z.number().int(),
    staleness_scale: z.number(),
    norm: z.number().optional().openapi({ description: "Norm of the gradient before clipping." }),
    offset: z.number().int(),
    count: z.number().int(),
    replayed: z.boolean().openapi({ description: "True when this answers a retry of an Idempotency-Key." }),
    round: RoundReceipt.optional().openapi({ description: "Rounds mode: where the push went." }),
    lbfgs: LbfgsOutcome.optional().openapi({ description: "lbfgs: what the closure call did." }),
  })
  .openapi("PushSummary");

const isoOrNull = z.string().nullable();

export const ShardStatus = z
  .object({
    name: z.string(),
    mode: z.enum(["async", "rounds"]),
    version: z.number().int(),
    revision: z.number().int(),
    lr: z.number(),
    hyper_in_force: HyperInForce,
    round: z
      .object({
        number: z.number().int(),
        contributors: z.number().int(),
        quorum: z.number().int(),
        sample_count: z.number().int(),
        opened_at: isoOrNull,
        deadline: isoOrNull,
        reducer: z.string(),
        input: z.enum(["gradient", "delta"]),
      })
      .nullable()
      .openapi({ description: "Rounds mode: the open round (counts only, never who pushed)." }),
    pushes: z.number().int().openapi({ description: "Pushes accepted (applied, or counted in a round)." }),
    writes: z
      .number()
      .int()
      .openapi({ description: "Transactions that wrote applied async pushes. Pushes that reach the shard together are written together, so pushes / writes is the mean group." }),
    staleness: z.object({
      mean: z.number(),
      max: z.number().int(),
      scaled: z.number().int().openapi({ description: "Pushes whose step the staleness policy scaled down." }),
      histogram: z.array(z.object({ le: z.number().int().nullable(), count: z.number().int() })).openapi({ description: "Applied async pushes by staleness (le: upper bound, null: no bound)." }),
    }),
    rounds: z.object({
      closed: z.number().int(),
      by_quorum: z.number().int(),
      by_deadline: z.number().int(),
      late_rolled: z.number().int(),
      last: z.object({ round: z.number().int(), pushes: z.number().int(), reason: z.enum(["quorum", "deadline"]), closed_at: z.string() }).nullable(),
    }),
  })
  .openapi("ShardStatus");

export const FloatsJson = z
  .object({
    version: z.number().int(),
    revision: z.number().int(),
    offset: z.number().int(),
    values: z.array(z.number()).max(MAX_JSON_FLOATS),
  })
  .openapi("Floats", { description: `Float32 values as JSON: for small payloads only (at most ${MAX_JSON_FLOATS}).` });

/**
 * A JSON float body, as a plain schema rather than zod: bodies that may be raw bytes or JSON are
 * read and checked by edge/floats.ts, which answers each refusal precisely.
 */
export const FloatsInput = {
  type: "object" as const,
  required: ["values"],
  properties: { values: { type: "array" as const, items: { type: "number" as const }, maxItems: MAX_JSON_FLOATS } },
  description: `Float32 values as JSON: for small payloads only (at most ${MAX_JSON_FLOATS}).`,
};

/**
 * A body of raw bytes: `contentMediaType` is how OpenAPI 3.1 says bytes; `format: binary` is what
 * generators type as binary (Blob/File in @hey-api/openapi-ts and orval, through the documented
 * `format: binary` transform in openapi-typescript). A plain schema: zod has no bytes in JSON.
 */
export const binary = (description: string) => ({ type: "string" as const, format: "binary", contentMediaType: "application/octet-stream", description });

/** A raw little-endian float32 body. */
export const Float32Bytes = binary("Raw little-endian float32 values.");

export const Checkpoint = z
  .object({
    id: z.number().int().openapi({ description: "Increasing per shard, never reused." }),
    label: z.string().nullable(),
    version: z.number().int().openapi({ description: "The shard's version when it was taken." }),
    step: z.number().int().openapi({ description: "The optimizer's step when it was taken: a restore continues from it." }),
    revision: z.number().int().openapi({ description: "The revision of the weights it holds (their ETag)." }),
    bytes: z.number().int().openapi({ description: "Stored bytes: 4 × length × (1 + optimizer slots + averages)." }),
    created_at: z.string(),
  })
  .openapi("Checkpoint", { description: "A snapshot of a shard's weights, optimizer state and averages." });

export const CheckpointList = z.object({ checkpoints: z.array(Checkpoint).openapi({ description: "Oldest first." }) }).openapi("CheckpointList");

export const CheckpointInput = z
  .strictObject({ label: z.string().max(MAX_CHECKPOINT_LABEL).optional().openapi({ description: `At most ${MAX_CHECKPOINT_LABEL} characters.` }) })
  .openapi("CheckpointInput");
