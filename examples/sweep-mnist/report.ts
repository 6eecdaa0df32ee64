/** How the example prints a sweep: a line per finished trial, the trials table, stages, warnings. */
import type { SweepInfo, SweepTrial, TrialOutcome } from "../../sdk/client";

export const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** 3 significant digits; exponent form below 0.01. */
export function short(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && Math.abs(x) < 0.01) return x.toExponential(1);
  if (Math.abs(x) >= 1e5) return x.toExponential(2);
  return String(Number(x.toPrecision(3)));
}

/** Whether the trial's rule used its momentum (Adam has none: the master lists it in `unapplied`). */
const hasMomentum = (t: SweepTrial) => !t.unapplied.some((u) => u.startsWith("momentum:"));

/** "rmsprop  lr 1.2e-3  momentum 0.71" (Adam's momentum in parentheses: it has none, the trial records it unapplied). */
export function paramsOf(t: SweepTrial): string {
  const { rule, lr, momentum } = t.params as { rule: string; lr: number; momentum: number };
  const m = hasMomentum(t) ? short(momentum) : `(${short(momentum)})`;
  return `${rule.padEnd(7)}  lr ${short(lr).padEnd(7)}  momentum ${m.padEnd(7)}`;
}

const origin = (t: SweepTrial) => (t.replicate_of === null ? `stage ${t.stage}` : `rep. of ${t.replicate_of}`);

/** The line printed when a trial ends. */
export function trialLine(outcome: TrialOutcome, worker: string, seconds: number): string {
  const t = outcome.trial;
  const loss = outcome.metrics?.loss;
  const acc = outcome.metrics?.accuracy;
  const result = loss === undefined ? "" : `val loss ${short(loss).padEnd(6)}${acc === undefined ? "" : `  acc ${pct(acc)}`}`;
  const how = outcome.outcome === "failed" || outcome.outcome === "lost" ? `: ${outcome.reason}` : "";
  // A complete trial used its whole budget (its last step is reported by the completion).
  const step = outcome.outcome === "complete" ? t.budget : outcome.step;
  return `  ${seconds.toFixed(0).padStart(4)} s  trial ${String(t.id).padStart(2)}  ${origin(t).padEnd(10)}  ${paramsOf(t)}  ${outcome.outcome.padEnd(8)} at step ${String(step).padStart(3)}  ${result}  (${worker})${how}`;
}

/** The trials table, by id; the best trial marked with *. */
export function trialsTable(trials: readonly SweepTrial[], bestId: number | null): string[] {
  const head = `   id  ${"origin".padEnd(10)}  ${"rule".padEnd(7)}  ${"lr".padEnd(10)}  ${"momentum".padEnd(16)}  ${"state".padEnd(8)}  steps  val loss  val acc  worker`;
  const rows = trials.map((t) => {
    const loss = t.value ?? t.last_report?.value;
    const acc = (t.metrics ?? undefined)?.accuracy;
    const steps = t.state === "complete" ? t.budget : (t.last_report?.step ?? 0);
    return `${t.id === bestId ? " *" : "  "}${String(t.id).padStart(3)}  ${origin(t).padEnd(10)}  ${paramsOf(t)}  ${t.state.padEnd(8)}  ${String(steps).padStart(5)}  ${(loss === undefined ? "" : short(loss)).padStart(8)}  ${(acc === undefined ? "" : pct(acc)).padStart(7)}  ${t.worker ?? ""}`;
  });
  return [head, ...rows];
}

/** Counts by state, and each stage's budget and ranges. */
export function sweepSummary(sweep: SweepInfo): string[] {
  const c = sweep.counts;
  const lines = [`${sweep.trials} search trials: ${c.complete ?? 0} complete, ${c.pruned ?? 0} pruned, ${c.failed ?? 0} failed (state: ${sweep.state})`];
  for (const s of sweep.stages) {
    const ranges = Object.entries(s.ranges)
      .map(([name, r]) => ("values" in r ? `${name} {${r.values.join(", ")}}` : `${name} [${short(r.low)}, ${short(r.high)}]`))
      .join(", ");
    lines.push(`  stage ${s.stage}: ${s.trials} trials of ${s.budget} steps; ${ranges}`);
  }
  return lines;
}

export function warningLines(sweep: SweepInfo): string[] {
  if (sweep.warnings.length === 0) return ["boundary warnings: none (every parameter's best value lies inside its range)"];
  return [`boundary warnings (${sweep.warnings.length}):`, ...sweep.warnings.map((w) => `  ${w.message}`)];
}
