/**
 * Tree-structured Parzen estimator (Bergstra et al. 2011) as Optuna 3.1's TPESampler does it with
 * its defaults (independent, i.e. univariate, sampling; consider_prior, consider_magic_clip, no
 * consider_endpoints; gamma(n) = min(⌈n/10⌉, 25); default_weights; n_ei_candidates draws):
 *
 *  - fewer than `startup_trials` finished trials: random search (the random sampler's draws);
 *  - else the finished trials are split into the best gamma(n) ("below") and the rest ("above");
 *    for each parameter a Parzen estimator l is fitted to the below trials' values and g to the
 *    above's; `candidates` values are drawn from l and the one with the largest log l − log g wins.
 *
 * Finished means complete or pruned, ranked as Optuna's _get_observation_pairs and
 * _split_observation_pairs do: complete trials first by value, then pruned ones by the largest
 * step they reported (deeper first) and their value there (a NaN value last among that step),
 * pruned trials without reports last. Running and failed trials are ignored.
 *
 * Draws come from stream(seed, number, PURPOSE.tpe, i) for the space's i-th parameter, so the
 * suggestion is a pure function of the seed, the trial's number and the finished trials.
 */
import { PURPOSE, stream } from "../random";
import { fromInternal, toInternal, type Assignment, type Direction, type TrialRecord } from "../space";
import { domainOf, ParzenEstimator, roundTrip } from "./parzen";
import { sampleUniformly } from "./random";
import type { Sampler } from "./sampler";

export interface TpeOptions {
  /** Finished trials before the estimator takes over from random search (Optuna's n_startup_trials, 10). */
  readonly startup_trials: number;
  /** Draws from l per parameter among which the best l/g wins (Optuna's n_ei_candidates, 24). */
  readonly candidates: number;
  /** Weight of each estimator's prior component (Optuna's prior_weight, 1). */
  readonly prior_weight: number;
  /**
   * How l and g score a continuous value: "optuna31" (default) as Optuna 3.1, whose truncated
   * normals lack −log σ (optuna/optuna#5109; see parzen.ts), or "normalized", the true densities.
   */
  readonly pdf?: "optuna31" | "normalized";
}

/** Optuna's default_gamma: the number of trials in the "below" (good) group. */
export function gamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** A finished trial's rank key, compared lexicographically (Optuna's (−step, sign · value)). */
type Score = readonly [number, number];

/** The finished (complete or pruned) trials in order of number, each with its score (Optuna's _get_observation_pairs). */
export function observations(trials: readonly TrialRecord[], direction: Direction): { trial: TrialRecord; score: Score }[] {
  const sign = direction === "minimize" ? 1 : -1;
  const out: { trial: TrialRecord; score: Score }[] = [];
  for (const trial of [...trials].sort((a, b) => a.number - b.number)) {
    if (trial.state === "complete") {
      // Optuna never completes a trial with a NaN value (it fails it); we skip such a record.
      if (trial.value === null || Number.isNaN(trial.value)) continue;
      out.push({ trial, score: [-Infinity, sign * trial.value] });
    } else if (trial.state === "pruned") {
      let last = trial.reports[0];
      for (const report of trial.reports) if (report.step >= last!.step) last = report;
      if (last === undefined) out.push({ trial, score: [1, 0] });
      else out.push({ trial, score: [-last.step, Number.isNaN(last.value) ? Infinity : sign * last.value] });
    }
  }
  return out;
}

/** Indices of the `below` best scores and of the rest, each in chronological order (a stable sort, as numpy's argsort(kind="stable")). */
export function split(scores: readonly Score[], below: number): { below: number[]; above: number[] } {
  const order = Array.from(scores.keys()).sort((i, j) => {
    const [si, vi] = scores[i]!;
    const [sj, vj] = scores[j]!;
    if (si !== sj) return si < sj ? -1 : 1;
    if (vi !== vj) return vi < vj || Number.isNaN(vj) ? -1 : vi > vj || Number.isNaN(vi) ? 1 : 0;
    return i - j;
  });
  const ascending = (a: number, b: number) => a - b;
  return { below: order.slice(0, below).sort(ascending), above: order.slice(below).sort(ascending) };
}

export function tpe(options: TpeOptions): Sampler {
  const { startup_trials, candidates, prior_weight } = options;
  if (!(candidates >= 1)) throw new RangeError("tpe needs at least one candidate");
  return ({ space, direction, seed, number, trials }) => {
    const finished = observations(trials, direction);
    const n = finished.length;
    if (n < startup_trials) return sampleUniformly(space, seed, number);
    const groups = split(
      finished.map((o) => o.score),
      gamma(n),
    );
    const params: Assignment = {};
    space.forEach(({ name, spec }, index) => {
      const domain = domainOf(spec);
      // A trial's value on the estimator's scale, or undefined when it has none in the space
      // (skipped, as Optuna skips trials without the parameter).
      const internal = (trial: TrialRecord): number | undefined => {
        const value = trial.params[name];
        if (value === undefined) return undefined;
        if (spec.kind === "choice") {
          const k = spec.values.indexOf(value);
          return k < 0 ? undefined : k;
        }
        if (typeof value !== "number" || !(value >= spec.low && value <= spec.high)) return undefined;
        return toInternal(spec, value);
      };
      const valuesOf = (indices: readonly number[]) =>
        indices.map((i) => internal(finished[i]!.trial)).filter((x): x is number => x !== undefined);
      const estimatorOptions = { priorWeight: prior_weight, pdf: options.pdf ?? "optuna31" };
      const l = new ParzenEstimator(domain, valuesOf(groups.below), estimatorOptions);
      const g = new ParzenEstimator(domain, valuesOf(groups.above), estimatorOptions);
      const draws = l.sample(stream(seed, number, PURPOSE.tpe, index), candidates);
      // Each draw as the parameter would take it (ints rounded), scored there; the first best wins.
      const points = draws.map((draw) => (spec.kind === "choice" ? draw : roundTrip(spec, draw)));
      let best = 0;
      let bestScore = -Infinity;
      points.forEach((x, i) => {
        const score = l.logPdf(x) - g.logPdf(x);
        if (score > bestScore) [best, bestScore] = [i, score];
      });
      params[name] = spec.kind === "choice" ? spec.values[points[best]!]! : fromInternal(spec, points[best]!);
    });
    return params;
  };
}
