import { z } from "@hono/zod-openapi";
import { getRule, ruleNames, scheduleSpecs, type RuleName } from "../../optim";
import { MAX_AVERAGES, MAX_DEADLINE_MS, MAX_PAGE_FLOATS, MAX_ROUND_CLIENTS, MAX_SHARD_LENGTH, MIN_DEADLINE_MS } from "../../shard/limits";
import { hyperSchema } from "./hyper";

const scheduleVariants = Object.entries(scheduleSpecs).map(([type, spec]) =>
  hyperSchema(spec).extend({ type: z.literal(type) }),
);

export type ScheduleInput = { type: string; [k: string]: unknown };

export const Schedule: z.ZodType<ScheduleInput> = z
  .lazy(() =>
    z.union([
      ...scheduleVariants,
      z.strictObject({
        type: z.literal("sequence"),
        schedules: z.array(Schedule).min(1),
        milestones: z.array(z.number().int().positive()),
      }),
    ] as unknown as [z.ZodType<ScheduleInput>, z.ZodType<ScheduleInput>]),
  )
  .openapi("Schedule", { description: "A learning-rate schedule: `type` plus PyTorch's argument names (docs/rules.md)." });

export const Init = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("zeros") }),
    z.strictObject({ kind: z.literal("normal"), mean: z.number().optional(), std: z.number().min(0).optional(), seed: z.number().int().min(0).max(2 ** 32 - 1).optional() }),
    z.strictObject({ kind: z.literal("uniform"), low: z.number().optional(), high: z.number().optional(), seed: z.number().int().min(0).max(2 ** 32 - 1).optional() }),
  ])
  .openapi("Init", { description: "Initial weights: zeros (default), or seeded normal / uniform draws." });

export const Average = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("ema"), decay: z.number().min(0).lt(1).optional().openapi({ default: 0.999 }) }),
    z.strictObject({ kind: z.literal("swa"), start: z.number().int().min(0).optional().openapi({ default: 0 }) }),
  ])
  .openapi("Average", { description: "A running average of the weights: EMA with a decay, or SWA (equal-weight mean from a start version)." });

export const Clipping = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("norm"), max_norm: z.number().gt(0).optional(), norm_type: z.union([z.literal(2), z.literal("2"), z.literal("inf")]).optional() }),
    z.strictObject({ kind: z.literal("value"), clip: z.number().gt(0).optional() }),
  ])
  .openapi("Clipping", { description: "Clipping of each pushed gradient: by its norm, or element-wise by value." });

export const RateLimit = z
  .strictObject({
    per_second: z.number().gt(0).optional().openapi({ default: 200 }),
    burst: z.number().int().min(1).optional().openapi({ default: 400 }),
  })
  .openapi("RateLimit", { description: "Pushes per client (token subject and X-Client-Id) on this shard: a token bucket. Over it: 429 with Retry-After." });

export const Staleness = z
  .strictObject({
    max: z.number().int().min(0).optional(),
    policy: z.enum(["reject", "scale"]).optional(),
    exponent: z.number().min(0).optional(),
  })
  .openapi("Staleness", {
    description: "Pushes whose X-Base-Version is more than `max` versions behind are refused (409) or applied with lr × (1 + staleness)^-exponent.",
  });

export const Aggregation = z
  .discriminatedUnion("mode", [
    z.strictObject({ mode: z.literal("async") }),
    z.strictObject({
      mode: z.literal("rounds"),
      quorum: z.number().int().min(1).max(MAX_ROUND_CLIENTS).optional().openapi({ default: 2, description: "Distinct clients whose pushes close a round (at most 256, and 32 MiB / page bytes)." }),
      deadline_ms: z.number().int().min(MIN_DEADLINE_MS).max(MAX_DEADLINE_MS).optional().openapi({ default: 60000, description: "A round closes this long after its first push if its quorum is not reached first." }),
      reducer: z.enum(["mean", "weighted_mean", "median", "trimmed_mean"]).optional().openapi({ default: "weighted_mean", description: "How a round's pushes are combined; weighted_mean weighs by X-Sample-Count (FedAvg)." }),
      trim: z.number().int().min(0).optional().openapi({ description: "trimmed_mean: values dropped at each end of every coordinate." }),
      input: z.enum(["gradient", "delta"]).optional().openapi({ default: "gradient", description: "`delta`: pushes are model deltas (local − server weights); the step uses their negated combination as its gradient." }),
      late: z.enum(["reject", "roll"]).optional().openapi({ default: "reject", description: "A push computed for a closed round (X-Base-Version below the version): refused with 409, or counted in the open round." }),
      clip_norm: z.number().min(0).nullable().optional().openapi({ description: "Each push is scaled to at most this L2 norm before it is stored." }),
      noise_multiplier: z.number().min(0).optional().openapi({ default: 0, description: "Gaussian noise on the combined update, std = noise_multiplier × clip_norm / pushes (needs clip_norm and the mean reducer)." }),
      noise_seed: z.number().int().min(0).max(2 ** 32 - 1).nullable().optional().openapi({ description: "Seed of the noise, for reproducible tests; null (default) draws an unpredictable seed per round." }),
    }),
  ])
  .openapi("Aggregation", { description: "async (default): every push is a step. rounds: pushes are combined per round, then the rule takes one step (docs/federated.md)." });

const common = {
  length: z.number().int().min(1).max(MAX_SHARD_LENGTH).openapi({ description: "Number of float32 parameters." }),
  schedule: Schedule.optional(),
  init: Init.optional(),
  averages: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/), Average).optional().openapi({ description: `Named running averages, at most ${MAX_AVERAGES}.` }),
  clipping: Clipping.nullable().optional(),
  non_finite: z.enum(["reject", "skip", "zero"]).optional().openapi({ description: "What a gradient with NaN or ±Inf does: refused (422, default), acknowledged and not applied, or applied with those values zeroed." }),
  staleness: Staleness.nullable().optional(),
  aggregation: Aggregation.optional(),
  rate_limit: RateLimit.nullable().optional().openapi({ description: "Defaults to 200 pushes per second per client in bursts of 400; null for none." }),
  page_floats: z.number().int().min(1).max(MAX_PAGE_FLOATS).optional().openapi({ description: "Floats per stored page (at most 1 MiB)." }),
};

const ruleVariant = (name: RuleName) =>
  z.strictObject({
    rule: z.literal(name),
    hyper: hyperSchema(getRule(name).spec).optional().openapi({ description: `${getRule(name).reference} hyperparameters, PyTorch's names and defaults.` }),
    ...common,
  });

export const ShardConfigInput = z
  .discriminatedUnion("rule", ruleNames.map(ruleVariant) as unknown as [ReturnType<typeof ruleVariant>, ...ReturnType<typeof ruleVariant>[]])
  .openapi("ShardConfigInput", { description: "A shard's configuration; every omitted field takes its default." });
