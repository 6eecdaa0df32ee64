/**
 * Learning curves: each trial's reports (step against value) as one polyline coloured by state,
 * the best trial drawn last and thicker. Large sweeps stay small: at most `maxTrials` curves (the
 * best trial, the running ones up to half of them, then the best by final or last value), each
 * downsampled to at most MAX_CURVE_POINTS points keeping every bucket's minimum and maximum.
 */
import { better, ranked, type Report, type TrialRecord, type TrialState } from "../space";
import { bestLabel, caption, emptyPlot, heading, legend, leftMargin, scaleTicks, xAxis, yAxis, type Frame, type LegendItem } from "./frame";
import { NO_COMPLETE_TRIALS, type PlotOptions } from "./objective";
import { BEST_COLOUR, STATE_COLOUR } from "./palette";
import { formatValue, linearScale, logScale, wantsLog } from "./scale";
import { el, points as pointList, svgDocument, title } from "./svg";

export interface CurveOptions extends PlotOptions {
  /** Curves drawn at most (default 100). */
  readonly maxTrials?: number;
}

export const CURVES_WIDTH = 720;
export const CURVES_HEIGHT = 440;
export const DEFAULT_MAX_TRIALS = 100;
/** Points of a curve at most after downsampling. */
export const MAX_CURVE_POINTS = 200;

/** Drawing order: failed below pruned below complete below running (the best on top of all). */
const LAYER: Readonly<Record<TrialState, number>> = { failed: 0, pruned: 1, complete: 2, running: 3 };
const STATES: readonly TrialState[] = ["complete", "pruned", "running", "failed"];

/**
 * At most `max` of the points (max ≥ 4), in order: the first and the last, and between them the
 * minimum and maximum value of each of ⌊(max − 2) / 2⌋ equal buckets of indices. Extremes such
 * as spikes and the best value so far survive, which averaging or striding would lose.
 */
export function downsample(points: readonly Report[], max = MAX_CURVE_POINTS): Report[] {
  if (points.length <= max) return [...points];
  const buckets = Math.max(1, Math.floor((max - 2) / 2));
  const inner = points.length - 2;
  const out: Report[] = [points[0]!];
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor((b * inner) / buckets);
    const end = 1 + Math.floor(((b + 1) * inner) / buckets);
    if (end <= start) continue;
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (points[i]!.value < points[lo]!.value) lo = i;
      if (points[i]!.value > points[hi]!.value) hi = i;
    }
    out.push(points[Math.min(lo, hi)]!);
    if (lo !== hi) out.push(points[Math.max(lo, hi)]!);
  }
  out.push(points[points.length - 1]!);
  return out;
}

interface Curve {
  readonly trial: TrialRecord;
  readonly points: readonly Report[];
  /** The final value of a complete trial, else its last report: what selection ranks by. */
  readonly score: number;
  readonly downsampled: boolean;
}

/**
 * An SVG of the trials' learning curves. Trials are read in number order, so the output depends
 * only on the trials given. Without any complete trial the running curves are still drawn, with
 * a note saying so.
 */
export function learningCurves(trials: readonly TrialRecord[], options: CurveOptions): string {
  const width = CURVES_WIDTH;
  const height = CURVES_HEIGHT;
  const { direction, objective } = options;
  const maxTrials = Math.max(1, Math.floor(options.maxTrials ?? DEFAULT_MAX_TRIALS));
  const label = `learning curves: ${objective} (${direction})`;
  const sorted = [...trials].sort((a, b) => a.number - b.number);
  const best = ranked(sorted, direction)[0];

  const curves: Curve[] = [];
  for (const trial of sorted) {
    const finite = trial.reports.filter((r) => Number.isFinite(r.step) && Number.isFinite(r.value));
    if (finite.length === 0) continue;
    const score = trial.state === "complete" && trial.value !== null && Number.isFinite(trial.value) ? trial.value : finite[finite.length - 1]!.value;
    const points = downsample(finite, MAX_CURVE_POINTS);
    curves.push({ trial, points, score, downsampled: points.length < finite.length });
  }
  if (curves.length === 0) return emptyPlot(width, height, label, best === undefined ? NO_COMPLETE_TRIALS : "no reports yet");

  // Selection: the best trial; the running ones, best score first, up to half the curves; then
  // the rest (and any running ones left over), best score first.
  const byScore = (a: Curve, b: Curve) => (better(direction, a.score, b.score) ? -1 : better(direction, b.score, a.score) ? 1 : a.trial.number - b.trial.number);
  const bestCurve = curves.find((c) => c.trial === best);
  const running = curves.filter((c) => c !== bestCurve && c.trial.state === "running").sort(byScore);
  const reserved = running.slice(0, Math.ceil(maxTrials / 2));
  const rest = curves.filter((c) => c !== bestCurve && !reserved.includes(c)).sort(byScore);
  const chosen = [...(bestCurve ? [bestCurve] : []), ...reserved, ...rest].slice(0, maxTrials);
  const leftOut = curves.length - chosen.length;
  const drawn = chosen
    .filter((c) => c !== bestCurve)
    .sort((a, b) => LAYER[a.trial.state] - LAYER[b.trial.state] || a.trial.number - b.trial.number);

  const ys: number[] = [];
  const xs: number[] = [];
  for (const c of chosen) for (const p of c.points) (ys.push(p.value), xs.push(p.step));
  const logY = wantsLog(ys);
  const captions: string[] = [];
  if (leftOut > 0) captions.push(`${leftOut} of ${curves.length} curves left out: showing the best by final or last value, running trials first (up to half)`);
  const withoutReports = sorted.length - curves.length;
  if (withoutReports > 0) captions.push(`${withoutReports} trial${withoutReports === 1 ? "" : "s"} without reports`);
  if (chosen.some((c) => c.downsampled)) captions.push(`long curves downsampled to at most ${MAX_CURVE_POINTS} points (each bucket's min and max)`);
  if (best === undefined) captions.push(NO_COMPLETE_TRIALS);

  const top = 56;
  const bottom = height - 58 - 14 * captions.length;
  const yScale = logY ? logScale(ys, [bottom, top]) : linearScale(ys, [bottom, top]);
  const frame: Frame = { width, height, left: leftMargin(yScale), right: width - 20, top, bottom };
  const xScale = linearScale(xs, [frame.left, frame.right], 7);
  const line = (c: Curve) => c.points.map((p): [number, number] => [xScale.map(p.step), yScale.map(p.value)]);
  const describe = (c: Curve) => `#${c.trial.number} · ${c.trial.state} · ${objective}=${formatValue(c.score)}${c.trial.state === "complete" ? "" : " (last report)"}`;
  const shape = (c: Curve, colour: string) => {
    const xy = line(c);
    const list = pointList(xy);
    const tip = title(describe(c));
    if (list.includes(" ")) return el("polyline", { points: list, "data-trial": String(c.trial.number) }, tip);
    // A single point: a dot, since a one-point polyline draws nothing.
    const [x, y] = xy[0]!;
    return el("circle", { cx: x, cy: y, r: 2, fill: colour, "data-trial": String(c.trial.number) }, tip);
  };

  const groups: string[] = [];
  const counts: Record<TrialState, number> = { complete: 0, pruned: 0, running: 0, failed: 0 };
  for (let i = 0; i < drawn.length; ) {
    const state = drawn[i]!.trial.state;
    const lines: string[] = [];
    for (; i < drawn.length && drawn[i]!.trial.state === state; i++) lines.push(shape(drawn[i]!, STATE_COLOUR[state]));
    counts[state] += lines.length;
    groups.push(
      el("g", { class: state, fill: "none", stroke: STATE_COLOUR[state], "stroke-width": state === "running" ? 1.5 : 1, "stroke-opacity": 0.6, "stroke-linejoin": "round", "stroke-dasharray": state === "failed" ? "4 3" : undefined }, ...lines),
    );
  }
  if (bestCurve) {
    const last = line(bestCurve)[bestCurve.points.length - 1]!;
    groups.push(
      el(
        "g",
        { class: "best", "data-trial": String(bestCurve.trial.number), fill: "none", stroke: BEST_COLOUR, "stroke-width": 2.5, "stroke-linejoin": "round" },
        shape(bestCurve, BEST_COLOUR),
        el("g", { fill: BEST_COLOUR, stroke: "none" }, bestLabel(frame, last[0], last[1], `best #${bestCurve.trial.number}`)),
      ),
    );
  }

  const items: LegendItem[] = STATES.filter((s) => counts[s] > 0).map((s) => ({
    swatch: el("line", { x1: -7, x2: 7, y1: 0, y2: 0, stroke: STATE_COLOUR[s], "stroke-width": 2, "stroke-dasharray": s === "failed" ? "4 3" : undefined }),
    label: `${s} (${counts[s]})`,
  }));
  if (bestCurve) items.push({ swatch: el("line", { x1: -7, x2: 7, y1: 0, y2: 0, stroke: BEST_COLOUR, "stroke-width": 3 }), label: `best #${bestCurve.trial.number}: ${formatValue(bestCurve.score)}` });

  return svgDocument(width, height, label, [
    heading(label),
    legend(items, 16, 40),
    yAxis(frame, yScale, `${objective}${logY ? " (log scale)" : ""}`),
    xAxis(frame, scaleTicks(xScale), "step", frame.bottom + 36),
    ...groups,
    caption(captions, height - 6),
  ]);
}
