import { intermediateValues, lastStep, type Direction, type TrialRecord } from "../space";
import type { Pruner } from "./pruner";

export interface AshaOptions {
  /** The resource (step) of the lowest rung's promotion (Optuna's min_resource, never "auto"). */
  readonly min_resource: number;
  /** η: each rung promotes the best 1/η of the values it has recorded. */
  readonly reduction_factor: number;
  /** s: the lowest rung's promotion comes at min_resource · η^s. */
  readonly min_early_stopping_rate: number;
}

/** The step at which a trial in `rung` is judged for promotion to the next: r · η^(s + rung). */
export function promotionStep({ min_resource, reduction_factor, min_early_stopping_rate }: AshaOptions, rung: number): number {
  return min_resource * reduction_factor ** (min_early_stopping_rate + rung);
}

/** Refuses options under which the rungs would not grow (the derivations below would not end). */
function checkOptions({ min_resource, reduction_factor, min_early_stopping_rate }: AshaOptions): void {
  if (!(min_resource > 0 && Number.isFinite(min_resource)) || !(reduction_factor >= 2 && Number.isFinite(reduction_factor)) || !(min_early_stopping_rate >= 0)) {
    throw new RangeError(`asha needs min_resource > 0, reduction_factor >= 2 and min_early_stopping_rate >= 0`);
  }
}

/**
 * The values a trial recorded in successive rungs, derived from its reports instead of stored:
 * Optuna, consulted after every report, records in rung k the value reported at the first step at
 * or past rung k's promotion step (one report may pass several rungs: each records it), and stops
 * at a NaN (pruned before recording). A pruned trial's last report was the one that pruned it,
 * at one of the rungs it newly passed: it is credited with the first of them only (when it was
 * promoted there and pruned at a later one, Optuna also recorded that later one).
 *
 * Only the reports before index `upTo` count (for the reporting trial: its rungs before the new report).
 */
export function rungValues(trial: TrialRecord, options: AshaOptions, upTo = trial.reports.length): number[] {
  checkOptions(options);
  const byStep = [...intermediateValues(trial.reports.slice(0, upTo))].sort(([a], [b]) => a - b);
  const recorded: number[] = [];
  for (const [index, [step, value]] of byStep.entries()) {
    const prunedHere = trial.state === "pruned" && index === byStep.length - 1;
    let passed = 0;
    while (step >= promotionStep(options, recorded.length)) {
      if (Number.isNaN(value)) return recorded;
      if (prunedHere && passed > 0) break;
      recorded.push(value);
      passed++;
    }
  }
  return recorded;
}

/** Optuna's rule: promotable when among the best ⌊n/η⌋ of the rung's n values (the very best while n < η). */
function promotable(value: number, competing: number[], reductionFactor: number, direction: Direction): boolean {
  const index = Math.max(0, Math.floor(competing.length / reductionFactor) - 1);
  const sorted = competing.sort((a, b) => a - b);
  return direction === "maximize" ? value >= sorted[sorted.length - 1 - index]! : value <= sorted[index]!;
}

/**
 * Optuna 3.1's SuccessiveHalvingPruner (asynchronous successive halving, bootstrap_count 0): when
 * the trial's last report reaches the promotion step of its current rung (the first it has not
 * recorded), the value there is recorded and compared with every other trial's recorded value in
 * that rung, whatever its state; the trial goes on only if promotable, rung after rung while the
 * report passes their promotion steps. A NaN at a promotion step prunes.
 */
export function asha(options: AshaOptions): Pruner {
  checkOptions(options);
  return ({ direction, trial, others }) => {
    const values = intermediateValues(trial.reports);
    const step = lastStep(values);
    if (step === undefined) return false;
    const value = values.get(step)!;
    // The rungs it recorded before this report (the first at its last step).
    let rung = rungValues(trial, options, trial.reports.findIndex((r) => r.step === step)).length;
    const othersRungs = others.map((t) => rungValues(t, options));
    while (step >= promotionStep(options, rung)) {
      if (Number.isNaN(value)) return true;
      const competing = othersRungs.flatMap((rungs) => (rung < rungs.length ? [rungs[rung]!] : []));
      competing.push(value);
      if (!promotable(value, competing, options.reduction_factor, direction)) return true;
      rung++;
    }
    return false;
  };
}
