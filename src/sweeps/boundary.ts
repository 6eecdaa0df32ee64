import { isLog, ranked, toInternal, type Direction, type Space, type TrialRecord } from "./space";

export interface BoundaryWarning {
  readonly param: string;
  /** The bound the best value is near. */
  readonly side: "low" | "high";
  /** The best complete trial's value. */
  readonly value: number;
  readonly low: number;
  readonly high: number;
  /** The suggested new bound on that side: a decade beyond on a log scale, half the range's width beyond otherwise (ints rounded outward). */
  readonly widen_to: number;
  readonly message: string;
}

/** A short form of a number for messages: 3 significant digits, exponent form when tiny or huge. */
export function formatNumber(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const magnitude = Math.abs(x);
  if (magnitude < 1e-3 || magnitude >= 1e5) return x.toExponential(2).replace(/\.?0+e/, "e").replace("e+", "e");
  return String(Number(x.toPrecision(3)));
}

/**
 * Warnings for the numeric parameters whose best value (the best complete trial's) lies within
 * the outer `margin` of its range at either end, measured on the internal scale (in decades for
 * log parameters): the optimum may lie beyond the range. None when no trial completed. A log
 * int already at its lowest possible bound (1) is not warned about low: it cannot widen.
 */
export function boundaryWarnings(space: Space, trials: readonly TrialRecord[], direction: Direction, margin = 0.05): BoundaryWarning[] {
  const best = ranked(trials, direction)[0];
  if (best === undefined) return [];
  const warnings: BoundaryWarning[] = [];
  for (const { name, spec } of space) {
    const value = best.params[name];
    if (spec.kind === "choice" || typeof value !== "number") continue;
    const low = toInternal(spec, spec.low);
    const high = toInternal(spec, spec.high);
    if (!(high > low)) continue;
    const position = (toInternal(spec, value) - low) / (high - low);
    const side = position <= margin ? "low" : position >= 1 - margin ? "high" : null;
    if (side === null) continue;
    const log = isLog(spec);
    const halfWidth = (spec.high - spec.low) / 2;
    let widenTo = side === "low" ? (log ? spec.low / 10 : spec.low - halfWidth) : log ? spec.high * 10 : spec.high + halfWidth;
    if (spec.kind === "int") widenTo = side === "low" ? Math.floor(widenTo) : Math.ceil(widenTo);
    if (spec.kind === "int" && log && side === "low") widenTo = Math.max(1, widenTo);
    if (widenTo === (side === "low" ? spec.low : spec.high)) continue;
    const range = `its ${log ? "log " : ""}range [${formatNumber(spec.low)}, ${formatNumber(spec.high)}]`;
    const where = side === "low" ? `lowest ${formatNumber(margin * 100)}%` : `highest ${formatNumber(margin * 100)}%`;
    warnings.push({
      param: name,
      side,
      value,
      low: spec.low,
      high: spec.high,
      widen_to: widenTo,
      message: `the best ${name} (${formatNumber(value)}) lies in the ${where} of ${range}: the optimum may be ${side === "low" ? "below" : "above"} it; widen ${side} to ${formatNumber(widenTo)}`,
    });
  }
  return warnings;
}
