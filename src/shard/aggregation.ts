import { minimumPushes, resolveHyper, type ReducerSpec } from "../optim";
import { MAX_DEADLINE_MS, MAX_PAGE_FLOATS, MAX_ROUND_CLIENTS, MIN_DEADLINE_MS, ROUND_CLOSE_BUDGET_BYTES } from "./limits";
import { refuse } from "./refusal";

/**
 * How a shard turns pushes into steps. `async`: every push is one step. `rounds`: pushes are kept
 * until `quorum` distinct clients have pushed or `deadline_ms` after the round's first push, then
 * the reducer combines them and the rule takes exactly one step.
 */
export type Aggregation = { mode: "async" } | RoundsConfig;

export interface RoundsConfig {
  mode: "rounds";
  quorum: number;
  deadline_ms: number;
  reducer: ReducerSpec["kind"];
  /** trimmed_mean: values dropped at each end of every coordinate. */
  trim: number;
  /** `delta`: pushes are model deltas (local − server); the step uses their negated combination. */
  input: "gradient" | "delta";
  /** A push computed before the open round began: refused (409), or counted in the open round. */
  late: "reject" | "roll";
  /** Each push is scaled to at most this L2 norm before it is stored (null: no clipping). */
  clip_norm: number | null;
  /** Gaussian noise on the combined update: std = noise_multiplier × clip_norm / pushes. */
  noise_multiplier: number;
  /** Seed of the noise (each round draws from its own seed derived from it); null: unpredictable. */
  noise_seed: number | null;
}

export const ASYNC: Aggregation = { mode: "async" };

export const reducerOf = (c: RoundsConfig): ReducerSpec =>
  c.reducer === "trimmed_mean" ? { kind: "trimmed_mean", trim: c.trim } : { kind: c.reducer };

/** Most clients a round may have for a shard of `length` floats in pages of `pageFloats`. */
export function maxRoundClients(length: number, pageFloats: number): number {
  const pageBytes = Math.min(length, pageFloats) * 4;
  return Math.min(MAX_ROUND_CLIENTS, Math.floor(ROUND_CLOSE_BUDGET_BYTES / pageBytes));
}

const invalid = (message: string): never => refuse("invalid-config", message);

export function resolveAggregation(input: unknown, length: number, pageFloats = MAX_PAGE_FLOATS): Aggregation {
  if (input === undefined || input === null) return ASYNC;
  if (typeof input !== "object" || Array.isArray(input)) return invalid("aggregation must be an object");
  const { mode, ...rest } = input as Record<string, unknown>;
  if (mode === "async") {
    resolveHyper("aggregation (async)", {}, rest);
    return ASYNC;
  }
  if (mode !== "rounds") return invalid(`aggregation: unknown mode ${JSON.stringify(mode)}; known: async, rounds`);
  const most = maxRoundClients(length, pageFloats);
  const c = resolveHyper<Omit<RoundsConfig, "mode" | "clip_norm" | "noise_seed"> & { clip_norm: number; noise_seed: number }>("aggregation (rounds)", {
    quorum: { kind: "number", default: 2, integer: true, min: 1, max: most },
    deadline_ms: { kind: "number", default: 60_000, integer: true, min: MIN_DEADLINE_MS, max: MAX_DEADLINE_MS },
    reducer: { kind: "choice", default: "weighted_mean", choices: ["mean", "weighted_mean", "median", "trimmed_mean"] },
    trim: { kind: "number", default: 0, integer: true, min: 0 },
    input: { kind: "choice", default: "gradient", choices: ["gradient", "delta"] },
    late: { kind: "choice", default: "reject", choices: ["reject", "roll"] },
    clip_norm: { kind: "number", default: 0, min: 0 },
    noise_multiplier: { kind: "number", default: 0, min: 0 },
    noise_seed: { kind: "number", default: -1, integer: true, min: -1, max: 2 ** 32 - 1 },
  }, Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null && v !== undefined)));
  const config: RoundsConfig = {
    mode,
    ...c,
    clip_norm: c.clip_norm > 0 ? c.clip_norm : null,
    noise_seed: c.noise_seed >= 0 ? c.noise_seed : null,
  };
  if (config.reducer === "trimmed_mean") {
    if (config.trim < 1) invalid("aggregation (rounds): trimmed_mean needs 'trim' ≥ 1 (values dropped at each end)");
    const needed = minimumPushes(reducerOf(config));
    if (config.quorum < needed) invalid(`aggregation (rounds): trimmed_mean with trim ${config.trim} needs a quorum of at least ${needed}, got ${config.quorum}`);
  } else if (config.trim !== 0) {
    invalid(`aggregation (rounds): 'trim' applies to trimmed_mean only, not ${config.reducer}`);
  }
  if (config.noise_multiplier > 0) {
    if (config.clip_norm === null) invalid("aggregation (rounds): noise needs 'clip_norm' (the noise is scaled to the clipping bound)");
    if (config.reducer !== "mean") invalid(`aggregation (rounds): noise is calibrated for the unweighted 'mean' reducer, not ${config.reducer}`);
  }
  return config;
}
