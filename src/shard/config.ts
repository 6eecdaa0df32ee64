import {
  getRule,
  HyperparameterError,
  isRuleName,
  resolveHyper,
  resolveSchedule,
  ruleNames,
  type AverageSpec,
  type Hyper,
  type InitSpec,
  type RuleName,
  type ScheduleSpec,
} from "../optim";
import { fastEngineBytes } from "../optim/fast/engine";
import { resolveAggregation, type Aggregation } from "./aggregation";
import { MAX_AVERAGES, MAX_PAGE_FLOATS, MAX_SHARD_LENGTH, RESIDENT_BUDGET_BYTES } from "./limits";
import type { RateLimit } from "./rate";
import { refuse } from "./refusal";

export type Clipping = { kind: "norm"; max_norm: number; norm_type: 2 | "inf" } | { kind: "value"; clip: number };

export type NonFinitePolicy = "reject" | "skip" | "zero";

export interface Staleness {
  /** Pushes whose base version is more than this many versions behind are stale. */
  max: number;
  /** Stale pushes are refused (409), or applied with lr scaled by (1 + staleness)^-exponent (FedAsync). */
  policy: "reject" | "scale";
  exponent: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { per_second: 200, burst: 400 };

/** A shard's whole configuration, every default filled in. */
export interface ShardConfig {
  length: number;
  rule: RuleName;
  hyper: Hyper;
  schedule: ScheduleSpec;
  init: InitSpec;
  averages: Record<string, AverageSpec>;
  clipping: Clipping | null;
  non_finite: NonFinitePolicy;
  staleness: Staleness | null;
  aggregation: Aggregation;
  /** Pushes per client (token subject and X-Client-Id); null for none. */
  rate_limit: RateLimit | null;
  page_floats: number;
}

const invalid = (message: string): never => refuse("invalid-config", message);

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) invalid(`${what} must be an object`);
  return value as Record<string, unknown>;
}

/** Turns HyperparameterErrors of the math into invalid-config refusals. */
export function resolving<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof HyperparameterError) return invalid(e.message);
    throw e;
  }
}

const CONFIG_FIELDS = ["length", "rule", "hyper", "schedule", "init", "averages", "clipping", "non_finite", "staleness", "aggregation", "rate_limit", "page_floats"];

function resolveInit(input: unknown): InitSpec {
  if (input === undefined) return { kind: "zeros" };
  const { kind, ...rest } = object(input, "init");
  return resolving(() => {
    switch (kind) {
      case "zeros":
        resolveHyper("init (zeros)", {}, rest);
        return { kind };
      case "normal":
        return {
          kind,
          ...resolveHyper<{ mean: number; std: number; seed: number }>("init (normal)", {
            mean: { kind: "number", default: 0 },
            std: { kind: "number", default: 1, min: 0 },
            seed: { kind: "number", default: 0, integer: true, min: 0, max: 2 ** 32 - 1 },
          }, rest),
        };
      case "uniform": {
        const u = resolveHyper<{ low: number; high: number; seed: number }>("init (uniform)", {
          low: { kind: "number", default: -1 },
          high: { kind: "number", default: 1 },
          seed: { kind: "number", default: 0, integer: true, min: 0, max: 2 ** 32 - 1 },
        }, rest);
        if (!(u.low < u.high)) invalid(`init (uniform): 'low' must be below 'high', got ${u.low} and ${u.high}`);
        return { kind, ...u };
      }
      default:
        return invalid(`init: unknown kind ${JSON.stringify(kind)}; known: zeros, normal, uniform`);
    }
  });
}

const AVERAGE_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

function resolveAverages(input: unknown): Record<string, AverageSpec> {
  if (input === undefined) return {};
  const entries = Object.entries(object(input, "averages"));
  if (entries.length > MAX_AVERAGES) invalid(`averages: at most ${MAX_AVERAGES} per shard, got ${entries.length}`);
  const out: Record<string, AverageSpec> = {};
  for (const [name, raw] of entries) {
    if (!AVERAGE_NAME.test(name)) invalid(`averages: name '${name}' must match ${AVERAGE_NAME.source}`);
    const { kind, ...rest } = object(raw, `averages.${name}`);
    out[name] = resolving(() => {
      if (kind === "ema") {
        return { kind, ...resolveHyper<{ decay: number }>(`averages.${name} (ema)`, { decay: { kind: "number", default: 0.999, min: 0, below: 1 } }, rest) };
      }
      if (kind === "swa") {
        return { kind, ...resolveHyper<{ start: number }>(`averages.${name} (swa)`, { start: { kind: "number", default: 0, min: 0, integer: true } }, rest) };
      }
      return invalid(`averages.${name}: unknown kind ${JSON.stringify(kind)}; known: ema, swa`);
    });
  }
  return out;
}

function resolveClipping(input: unknown): Clipping | null {
  if (input === undefined || input === null) return null;
  const { kind, ...rest } = object(input, "clipping");
  return resolving(() => {
    if (kind === "norm") {
      const c = resolveHyper<{ max_norm: number; norm_type: "2" | "inf" }>("clipping (norm)", {
        max_norm: { kind: "number", default: 1, above: 0 },
        norm_type: { kind: "choice", default: "2", choices: ["2", "inf"] },
      }, { ...rest, ...(typeof rest.norm_type === "number" ? { norm_type: String(rest.norm_type) } : {}) });
      return { kind, max_norm: c.max_norm, norm_type: c.norm_type === "inf" ? "inf" : 2 };
    }
    if (kind === "value") {
      return { kind, ...resolveHyper<{ clip: number }>("clipping (value)", { clip: { kind: "number", default: 1, above: 0 } }, rest) };
    }
    return invalid(`clipping: unknown kind ${JSON.stringify(kind)}; known: norm, value`);
  });
}

function resolveStaleness(input: unknown): Staleness | null {
  if (input === undefined || input === null) return null;
  return resolving(() =>
    resolveHyper<Staleness>("staleness", {
      max: { kind: "number", default: 0, min: 0, integer: true },
      policy: { kind: "choice", default: "reject", choices: ["reject", "scale"] },
      exponent: { kind: "number", default: 0.5, min: 0 },
    }, object(input, "staleness")),
  );
}

function resolveRateLimit(input: unknown): RateLimit | null {
  if (input === null) return null;
  if (input === undefined) return DEFAULT_RATE_LIMIT;
  return resolving(() =>
    resolveHyper<RateLimit>("rate_limit", {
      per_second: { kind: "number", default: DEFAULT_RATE_LIMIT.per_second, above: 0 },
      burst: { kind: "number", default: DEFAULT_RATE_LIMIT.burst, min: 1, integer: true },
    }, object(input, "rate_limit")),
  );
}

/**
 * Validates a shard's configuration as a client sends it (PUT /v1/shards/{shard}) and fills in
 * every default. Refuses with `invalid-config` and a message that names the field.
 */
export function resolveShardConfig(input: unknown): ShardConfig {
  const body = object(input, "the shard configuration");
  const unknown = Object.keys(body).find((k) => !CONFIG_FIELDS.includes(k));
  if (unknown) invalid(`unknown field '${unknown}'; known: ${CONFIG_FIELDS.join(", ")}`);

  const { length } = body;
  if (typeof length !== "number" || !Number.isInteger(length) || length < 1 || length > MAX_SHARD_LENGTH) {
    invalid(`'length' must be an integer from 1 to ${MAX_SHARD_LENGTH}, got ${JSON.stringify(length)}`);
  }
  const n = length as number;
  const rule = body.rule;
  if (rule === undefined) invalid(`'rule' is required; known: ${ruleNames.join(", ")}`);
  if (typeof rule !== "string" || !isRuleName(rule)) {
    return invalid(`unknown rule ${JSON.stringify(rule)}; known: ${ruleNames.join(", ")}`);
  }
  const hyper = resolving(() => getRule(rule).resolve(body.hyper));
  const schedule = body.schedule === undefined ? resolving(() => resolveSchedule({ type: "constant" })) : resolving(() => resolveSchedule(body.schedule));
  const pageFloats = body.page_floats ?? MAX_PAGE_FLOATS;
  if (typeof pageFloats !== "number" || !Number.isInteger(pageFloats) || pageFloats < 1 || pageFloats > MAX_PAGE_FLOATS) {
    invalid(`'page_floats' must be an integer from 1 to ${MAX_PAGE_FLOATS}, got ${JSON.stringify(pageFloats)}`);
  }
  const nonFinite = body.non_finite ?? "reject";
  if (nonFinite !== "reject" && nonFinite !== "skip" && nonFinite !== "zero") {
    invalid(`'non_finite' must be one of 'reject', 'skip', 'zero', got ${JSON.stringify(nonFinite)}`);
  }
  const config: ShardConfig = {
    length: n,
    rule,
    hyper,
    schedule,
    init: resolveInit(body.init),
    averages: resolveAverages(body.averages),
    clipping: resolveClipping(body.clipping),
    non_finite: nonFinite as NonFinitePolicy,
    staleness: resolveStaleness(body.staleness),
    aggregation: resolving(() => resolveAggregation(body.aggregation, n, pageFloats as number)),
    rate_limit: resolveRateLimit(body.rate_limit),
    page_floats: pageFloats as number,
  };
  if (config.aggregation.mode === "rounds" && config.staleness !== null) {
    invalid("'staleness' applies to async mode; in rounds mode a push for a closed round is late (aggregation.late)");
  }
  const resident = residentBytes(config);
  if (resident > RESIDENT_BUDGET_BYTES) {
    refuse(
      "too-large",
      `a ${rule} shard of length ${n} with ${Object.keys(config.averages).length} averages needs ${resident} bytes resident; the budget is ${RESIDENT_BUDGET_BYTES} (at most ${maxLength(config)} floats for this configuration)`,
    );
  }
  return config;
}

/** WebAssembly memory the shard keeps resident: weights, gradient, the rule's slots, the averages. */
export function residentBytes(config: Pick<ShardConfig, "rule" | "hyper" | "length" | "averages">): number {
  return fastEngineBytes(config.rule, config.hyper, config.length, { extraVectors: Object.keys(config.averages).length });
}

/** The longest shard this configuration fits in the resident budget. */
export function maxLength(config: Pick<ShardConfig, "rule" | "hyper" | "averages">): number {
  let lo = 1;
  let hi = MAX_SHARD_LENGTH;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (residentBytes({ ...config, length: mid }) <= RESIDENT_BUDGET_BYTES) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Configurations are compared as resolved JSON: a re-PUT of the same one is a no-op. */
export const sameConfig = (a: ShardConfig, b: ShardConfig): boolean => JSON.stringify(a) === JSON.stringify(b);
