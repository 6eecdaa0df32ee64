import { floatCount } from "../../formats/float32";
import { averageInForce, getRule, isLbfgs } from "../../optim";
import { refuse } from "../../problems";
import { nextHyper, nextLearningRate, type Resident, type RuleResident } from "../store/resident";
import { countStaleness } from "../stats";
import type { PushRequest, PushSummary } from "../types";
import { gradientBytes } from "./gradient-bytes";

/** Where a push lands: elements [offset, offset + count). Refuses ranges that do not fit. */
export function pushRange(resident: Resident, req: PushRequest): { offset: number; count: number } {
  const { length } = resident.meta.config;
  const count = floatCount(req.gradient, "the gradient");
  if (req.offset === undefined) {
    if (count !== length) {
      refuse("wrong-length", `the shard has ${length} floats (${length * 4} bytes); the gradient has ${count} (${req.gradient.byteLength} bytes). Send an offset for a partial gradient.`, { expected: length, received: count });
    }
    return { offset: 0, count };
  }
  const offset = req.offset;
  if (!Number.isInteger(offset) || offset < 0 || count === 0 || offset + count > length) {
    refuse("invalid-range", `a gradient of ${count} floats at offset ${offset} does not fit in the shard's ${length} floats`, { length });
  }
  const { rule, hyper } = resident.meta.config;
  if (count !== length && !isLbfgs(rule) && !getRule(rule).elementwise(hyper)) {
    refuse("invalid-range", `${rule}: a shard with a matrix 'shape' updates all its ${length} floats together: push the whole gradient (no offset)`, { length });
  }
  return { offset, count };
}

/** Staleness of a push computed at `baseVersion`, and the factor its policy puts on lr. */
export function stalenessOf(resident: Resident, baseVersion: number | undefined): { staleness: number; scale: number } {
  const { version, config } = resident.meta;
  if (baseVersion === undefined) return { staleness: 0, scale: 1 };
  if (baseVersion > version) {
    refuse("version-mismatch", `base version ${baseVersion} is ahead of the shard's version ${version}`, { version });
  }
  const staleness = version - baseVersion;
  const policy = config.staleness;
  if (!policy || staleness <= policy.max) return { staleness, scale: 1 };
  if (policy.policy === "reject") {
    refuse("stale-gradient", `the gradient was computed at version ${baseVersion}, ${staleness} versions behind ${version}; at most ${policy.max} are accepted`, { version, staleness, max_staleness: policy.max });
  }
  return { staleness, scale: (1 + staleness) ** -policy.exponent };
}

/**
 * Copies a push into the engine's gradient scratch at [offset, offset + count) and applies the
 * non-finite policy: refuses (reject), reports a skip, or zeroes the bad values. Nothing else
 * resident changes.
 */
export function stageGradient(resident: Resident, req: PushRequest, offset: number, count: number): { gradient: Float32Array; nonFinite: number; skip: boolean } {
  const { engine, meta } = resident;
  const gradient = engine.gradient.subarray(offset, offset + count);
  // One memcpy of the body's bytes into the engine's memory.
  new Uint8Array(gradient.buffer, gradient.byteOffset, gradient.byteLength).set(gradientBytes(req));
  const nonFinite = engine.ops.countNonFinite(gradient);
  if (nonFinite > 0) {
    if (meta.config.non_finite === "reject") {
      const first = engine.ops.firstNonFinite(gradient);
      refuse("non-finite", `the gradient has ${nonFinite} NaN or infinite values, the first at index ${offset + first}`, { count: nonFinite, index: offset + first });
    }
    if (meta.config.non_finite === "skip") return { gradient, nonFinite, skip: true };
    engine.ops.zeroNonFinite(gradient);
  }
  return { gradient, nonFinite, skip: false };
}

/**
 * The rule's step on the staged gradient at [offset, offset + count): the configured clipping,
 * one update at `lr` with the hyperparameters in force, the version, step and revision counted,
 * every average folded (an EMA at its decay in force for this update). Returns the norm of
 * the gradient before clipping (when clipping by norm). A replay of the gradient log passes the
 * hyperparameters the step was taken with.
 */
export function takeStep(resident: RuleResident, lr: number, offset: number, count: number, now: number, hyper = nextHyper(resident.meta)): number | undefined {
  const { engine, meta } = resident;
  const { clipping } = meta.config;
  const gradient = engine.gradient.subarray(offset, offset + count);
  let norm: number | undefined;
  if (clipping?.kind === "norm") norm = engine.ops.clipByGlobalNorm([gradient], clipping.max_norm, clipping.norm_type);
  else if (clipping?.kind === "value") engine.ops.clipByValue(gradient, clipping.clip);
  engine.step(lr, offset, count, hyper);
  meta.version += 1;
  meta.step += 1;
  meta.revision += 1;
  meta.scalars = { ...engine.state.scalars };
  meta.updatedAt = now;
  for (const avg of resident.averages) {
    const state = { count: meta.averageCounts[avg.name] ?? 0, values: avg.values };
    engine.ops.updateAverage(averageInForce(avg.spec, meta.step - 1), state, engine.params, meta.step);
    meta.averageCounts[avg.name] = state.count;
  }
  return norm;
}

/**
 * Applies one async push to the resident shard: stages the gradient, takes one step of the rule at
 * the scheduled (and staleness-scaled) learning rate. Refusals happen before anything resident
 * changes. Returns what happened; persisting it is the caller's. `staged` sees the gradient the
 * step is about to take, before anything changes (the gradient log keeps it).
 */
export function applyPush(resident: RuleResident, req: PushRequest, now: number, staged?: (gradient: Float32Array, nonFinite: number) => void): PushSummary {
  const { offset, count } = pushRange(resident, req);
  const { staleness, scale } = stalenessOf(resident, req.baseVersion);
  const { meta } = resident;
  const { gradient, nonFinite, skip } = stageGradient(resident, req, offset, count);
  const summary = { offset, count, staleness, staleness_scale: scale, non_finite: nonFinite };
  if (skip) return { ...summary, version: meta.version, revision: meta.revision, lr: 0, applied: false, skipped: "non-finite" };
  staged?.(gradient, nonFinite);
  const lr = nextLearningRate(meta) * scale;
  const norm = takeStep(resident, lr, offset, count, now);
  countStaleness(meta.stats, staleness, scale !== 1);
  return { ...summary, version: meta.version, revision: meta.revision, lr, applied: true, ...(norm === undefined ? {} : { norm }) };
}
