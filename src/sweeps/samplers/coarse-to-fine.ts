import type { Stage } from "../algorithm";
import { better, fromInternal, internalRange, isLog, ranked, toInternal, type Direction, type Param, type ParamSpec, type Space, type TrialRecord } from "../space";
import { sampleUniformly } from "./random";
import type { Sampler } from "./sampler";

/** The stage of trial `number`: stages take their trials in order. Past the last stage is an error. */
export function stageOf(stages: readonly Stage[], number: number): number {
  let end = 0;
  for (const [index, stage] of stages.entries()) {
    end += stage.trials;
    if (number < end) return index;
  }
  throw new RangeError(`trial ${number} is past the last stage (the stages hold ${end} trials)`);
}

type NumericSpec = Exclude<ParamSpec, { kind: "choice" }>;

/**
 * A numeric range `shrink` times as wide on the internal scale, centred on `best` and shifted to
 * stay inside the old one. An int is measured over its internal range (half a unit beyond each
 * bound: every integer its share) and keeps the integers inside the window, always `best`.
 */
function narrowRange(spec: NumericSpec, best: number, shrink: number): NumericSpec {
  const [low, high] = spec.kind === "int" ? internalRange(spec) : [toInternal(spec, spec.low), toInternal(spec, spec.high)];
  const width = shrink * (high - low);
  const start = Math.min(high - width, Math.max(low, toInternal(spec, best) - width / 2));
  const end = start + width;
  if (spec.kind === "int") {
    const value = (x: number) => (isLog(spec) ? Math.exp(x) : x);
    return {
      ...spec,
      low: Math.min(best, Math.max(spec.low, Math.ceil(value(start)))),
      high: Math.max(best, Math.min(spec.high, Math.floor(value(end)))),
    };
  }
  // The old bounds exactly where the window touches them (exp(log(x)) may be an ulp off).
  return {
    ...spec,
    low: start <= low ? spec.low : fromInternal(spec, start),
    high: end >= high ? spec.high : fromInternal(spec, end),
  };
}

/** The fraction of a stage's complete trials, best first, whose choices survive into the next stage. */
const TOP_FRACTION = 0.25;

/**
 * The space of the stage after `stageTrials`: numeric ranges `shrink` times as wide around the best
 * complete trial, choices cut to the values used by the best quarter of its complete trials (at
 * least the best one), in their declared order. Unchanged when no trial of the stage completed.
 */
export function narrowSpace(space: Space, stageTrials: readonly TrialRecord[], direction: Direction, shrink: number): Space {
  const complete = ranked(stageTrials, direction);
  const best = complete[0];
  if (best === undefined) return space;
  const top = complete.slice(0, Math.max(1, Math.floor(complete.length * TOP_FRACTION)));
  return space.map(({ name, spec }): Param => {
    if (spec.kind === "choice") {
      const used = spec.values.filter((value) => top.some((t) => t.params[name] === value));
      return used.length === 0 ? { name, spec } : { name, spec: { kind: "choice", values: used } };
    }
    const value = best.params[name];
    return typeof value === "number" && Number.isFinite(value) ? { name, spec: narrowRange(spec, value, shrink) } : { name, spec };
  });
}

/**
 * The space of each stage whose space is settled, in order: stage 0's is `space`; stage k's once
 * every trial of stage k-1 has been suggested and none is still running (each narrowed from the
 * last). Trials belong to the stage their record names.
 */
export function stageSpaces(
  space: Space,
  direction: Direction,
  stages: readonly Stage[],
  shrink: number,
  trials: readonly TrialRecord[],
): Space[] {
  const spaces: Space[] = [space];
  for (let k = 1; k < stages.length; k++) {
    const previous = trials.filter((t) => t.stage === k - 1);
    if (previous.length < stages[k - 1]!.trials || previous.some((t) => t.state === "running")) break;
    // Centred on the best trial of every earlier stage, not only the last: a stage that found
    // nothing better does not pull the search away from a better point (which lies in its range).
    const earlierBest = ranked(trials.filter((t) => t.stage < k - 1), direction)[0];
    const bestOfLast = ranked(previous, direction)[0];
    const carried = earlierBest && (!bestOfLast || better(direction, earlierBest.value!, bestOfLast.value!)) ? [earlierBest] : [];
    spaces.push(narrowSpace(spaces[k - 1]!, [...carried, ...previous], direction, shrink));
  }
  return spaces;
}

/**
 * Coarse-to-fine random search: trial n is drawn uniformly (its own stream, as random search) from
 * its stage's narrowed space. Asking for a trial whose stage is not settled is an error: the plan
 * waits for the previous stage instead.
 */
export function coarseToFine(stages: readonly Stage[], shrink: number): Sampler {
  return ({ space, direction, seed, number, trials }) => {
    const stage = stageOf(stages, number);
    const spaces = stageSpaces(space, direction, stages, shrink, trials);
    const stageSpace = spaces[stage];
    if (stageSpace === undefined) throw new RangeError(`trial ${number} opens stage ${stage} before stage ${stage - 1} has finished`);
    return sampleUniformly(stageSpace, seed, number);
  };
}
