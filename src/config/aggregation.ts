import { z } from "./zod";
import { minimumPushes, type ReducerSpec } from "../optim";
import { MAX_DEADLINE_MS, MAX_ROUND_CLIENTS, MIN_DEADLINE_MS, ROUND_CLOSE_BUDGET_BYTES } from "../limits";
import type { Form } from "./fields";
import { named, section, withDefault } from "./form";

/**
 * How a shard turns pushes into steps. `async`: every push is one step. `rounds`: pushes are kept
 * until `quorum` distinct clients have pushed or `deadline_ms` after the round's first push, then
 * the reducer combines them and the rule takes exactly one step (docs/federated.md).
 */
export const aggregationSchema = (form: Form) => {
  const d = <S extends z.ZodType>(s: S, value: z.output<S>, description: string) => withDefault(form, s, value).meta({ description });
  return named(
    form,
    z.discriminatedUnion("mode", [
      section(form, { mode: z.literal("async") }),
      section(form, {
        mode: z.literal("rounds"),
        quorum: d(z.number().int().min(1).max(MAX_ROUND_CLIENTS), 2, "Distinct clients whose pushes close a round (at most 256, and 32 MiB / page bytes)."),
        deadline_ms: d(z.number().int().min(MIN_DEADLINE_MS).max(MAX_DEADLINE_MS), 60_000, "A round closes this long after its first push if its quorum is not reached first."),
        reducer: d(z.enum(["mean", "weighted_mean", "median", "trimmed_mean"]), "weighted_mean", "How a round's pushes are combined; weighted_mean weighs by X-Sample-Count (FedAvg)."),
        trim: d(z.number().int().min(0), 0, "trimmed_mean: values dropped at each end of every coordinate."),
        input: d(z.enum(["gradient", "delta"]), "gradient", "`delta`: pushes are model deltas (local − server weights); the step uses their negated combination as its gradient."),
        late: d(z.enum(["reject", "roll"]), "reject", "A push computed for a closed round (X-Base-Version below the version): refused with 409, or counted in the open round."),
        clip_norm: d(
          form === "input" ? z.number().min(0).nullable().transform((c) => (c === 0 ? null : c)) : z.number().gt(0).nullable(),
          null,
          "Each push is scaled to at most this L2 norm before it is stored (null or 0: no clipping).",
        ),
        noise_multiplier: d(z.number().min(0), 0, "Gaussian noise on the combined update, std = noise_multiplier × clip_norm / pushes (needs clip_norm and the mean reducer)."),
        noise_seed: d(z.number().int().min(0).max(2 ** 32 - 1).nullable(), null, "Seed of the noise, for reproducible tests; null (default) draws an unpredictable seed per round."),
      }),
    ]),
    "Aggregation",
    "async (default): every push is a step. rounds: pushes are combined per round, then the rule takes one step (docs/federated.md).",
  );
};

export type Aggregation = z.output<ReturnType<typeof aggregationSchema>>;
export type RoundsConfig = Extract<Aggregation, { mode: "rounds" }>;

export const ASYNC: Aggregation = { mode: "async" };

export const reducerOf = (c: RoundsConfig): ReducerSpec => (c.reducer === "trimmed_mean" ? { kind: "trimmed_mean", trim: c.trim } : { kind: c.reducer });

/** Most clients a round may have for a shard of `length` floats in pages of `pageFloats`. */
export function maxRoundClients(length: number, pageFloats: number): number {
  const pageBytes = Math.min(length, pageFloats) * 4;
  return Math.min(MAX_ROUND_CLIENTS, Math.floor(ROUND_CLOSE_BUDGET_BYTES / pageBytes));
}

/** What the fields alone cannot say: the quorum the shard's pages allow, trim and noise. Undefined when fine. */
export function roundsProblem(config: RoundsConfig, length: number, pageFloats: number): string | undefined {
  const most = maxRoundClients(length, pageFloats);
  if (config.quorum > most) return `aggregation (rounds): 'quorum' must be <= ${most} for this shard's pages, got ${config.quorum}`;
  if (config.reducer === "trimmed_mean") {
    if (config.trim < 1) return "aggregation (rounds): trimmed_mean needs 'trim' ≥ 1 (values dropped at each end)";
    const needed = minimumPushes(reducerOf(config));
    if (config.quorum < needed) return `aggregation (rounds): trimmed_mean with trim ${config.trim} needs a quorum of at least ${needed}, got ${config.quorum}`;
  } else if (config.trim !== 0) {
    return `aggregation (rounds): 'trim' applies to trimmed_mean only, not ${config.reducer}`;
  }
  if (config.noise_multiplier > 0) {
    if (config.clip_norm === null) return "aggregation (rounds): noise needs 'clip_norm' (the noise is scaled to the clipping bound)";
    if (config.reducer !== "mean") return `aggregation (rounds): noise is calibrated for the unweighted 'mean' reducer, not ${config.reducer}`;
  }
  return undefined;
}
