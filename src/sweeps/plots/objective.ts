/**
 * The objective against one parameter: a scatter of the complete trials' values, the pruned trials
 * at their last reported value (another marker), the best trial ringed and labelled.
 */
import { isLog, ranked, type Direction, type Param, type ParamValue, type TrialRecord } from "../space";
import {
  bestLabel,
  caption,
  emptyPlot,
  heading,
  legend,
  leftMargin,
  scaleTicks,
  textWidth,
  truncate,
  xAxis,
  yAxis,
  type Frame,
  type XTick,
} from "./frame";
import { BEST_COLOUR, STATE_COLOUR } from "./palette";
import { formatValue, linearScale, logScale, wantsLog, type Scale } from "./scale";
import { el, num, svgDocument, title } from "./svg";

export interface PlotOptions {
  readonly direction: Direction;
  /** The objective's name (the metric), for the y axis. */
  readonly objective: string;
}

export const OBJECTIVE_WIDTH = 640;
export const OBJECTIVE_HEIGHT = 420;
/** The message of a plot without complete trials. */
export const NO_COMPLETE_TRIALS = "no complete trials yet";

const RADIUS = 4;
/** Pixels between the plot's edges and the ends of the scales, so no marker sits on an axis. */
const INSET = 10;
/** Characters of a choice label shown under the axis. */
const CHOICE_LABEL = 14;

interface Point {
  readonly trial: TrialRecord;
  /** Numeric value, or the category's index. */
  readonly x: number;
  readonly y: number;
  readonly pruned: boolean;
}

/** The last finite reported value, or null. */
export function lastReported(trial: TrialRecord): number | null {
  for (let i = trial.reports.length - 1; i >= 0; i--) {
    const r = trial.reports[i]!;
    if (Number.isFinite(r.value) && Number.isFinite(r.step)) return r.value;
  }
  return null;
}

const choiceKey = (v: ParamValue): string => `${typeof v}:${String(v)}`;

/** The value of a parameter as text. */
export function formatParam(v: ParamValue): string {
  return typeof v === "number" ? formatValue(v) : String(v);
}

/**
 * An SVG scatter of the objective against `param`. Log-scaled parameters get a log x axis with a
 * tick per decade, others nice linear ticks; choice parameters one column per value (the
 * declared values first, then any others seen) with points dodged sideways where they would
 * overlap. The y axis is logarithmic when every value is positive and they span more than two
 * decades. Trials are read in number order, so the output depends only on the trials given.
 */
export function objectivePlot(param: Param, trials: readonly TrialRecord[], options: PlotOptions): string {
  const width = OBJECTIVE_WIDTH;
  const height = OBJECTIVE_HEIGHT;
  const label = `${options.objective} by ${param.name} (${options.direction})`;
  const sorted = [...trials].sort((a, b) => a.number - b.number);
  const order = ranked(sorted, options.direction);
  if (order.length === 0) return emptyPlot(width, height, label, NO_COMPLETE_TRIALS);

  const spec = param.spec;
  const categories: ParamValue[] = spec.kind === "choice" ? [...spec.values] : [];
  const categoryIndex = new Map(categories.map((v, i) => [choiceKey(v), i]));
  const logX = spec.kind !== "choice" && isLog(spec);

  const points: Point[] = [];
  for (const trial of sorted) {
    let y: number | null = null;
    if (trial.state === "complete") y = trial.value;
    else if (trial.state === "pruned") y = lastReported(trial);
    if (y === null || !Number.isFinite(y)) continue;
    const v = trial.params[param.name];
    if (v === undefined) continue;
    let x: number;
    if (spec.kind === "choice") {
      const key = choiceKey(v);
      let index = categoryIndex.get(key);
      if (index === undefined) {
        index = categories.length;
        categories.push(v);
        categoryIndex.set(key, index);
      }
      x = index;
    } else {
      if (typeof v !== "number" || !Number.isFinite(v) || (logX && v <= 0)) continue;
      x = v;
    }
    points.push({ trial, x, y, pruned: trial.state === "pruned" });
  }
  // The best complete trial that has a place on the x axis (a value of the parameter that fits it).
  const pointOf = new Map(points.map((p) => [p.trial, p]));
  const best = order.find((t) => pointOf.has(t));
  if (best === undefined) return emptyPlot(width, height, label, `no complete trials with a value of ${param.name}`);
  const bestPoint = pointOf.get(best)!;

  // The y scale first: its tick labels set the left margin.
  const ys = points.map((p) => p.y);
  const logY = wantsLog(ys);
  const top = 56;
  // Choice labels that would not fit side by side are rotated, which needs a deeper bottom margin.
  const labels = categories.map((v) => truncate(formatParam(v), CHOICE_LABEL));
  const roughBand = (width - 120) / Math.max(1, categories.length);
  const rotate = spec.kind === "choice" && labels.some((l) => textWidth(l) + 8 > roughBand);
  const labelDepth = rotate ? Math.max(...labels.map(textWidth)) * 0.6 + 16 : 22;
  const bottom = height - (labelDepth + 34);
  const yRange: [number, number] = [bottom - INSET, top + INSET];
  const yScale: Scale = logY ? logScale(ys, yRange) : linearScale(ys, yRange);
  const frame: Frame = { width, height, left: leftMargin(yScale), right: width - 20, top, bottom };

  let mapX: (x: number) => number;
  let ticks: XTick[];
  let band = 0;
  if (spec.kind === "choice") {
    band = (frame.right - frame.left) / Math.max(1, categories.length);
    mapX = (i) => frame.left + (i + 0.5) * band;
    ticks = categories.map((v, i) => ({ x: mapX(i), label: labels[i]!, full: formatParam(v), minor: false }));
  } else {
    // The searched range is always shown, with any values outside it.
    const xs = [spec.low, spec.high, ...points.map((p) => p.x)];
    const range: [number, number] = [frame.left + INSET, frame.right - INSET];
    const xScale = logX ? logScale(xs, range) : linearScale(xs, range, 6, spec.kind === "int");
    mapX = (x) => xScale.map(x);
    ticks = scaleTicks(xScale);
  }

  const placed = place(points, mapX, (y) => yScale.map(y), spec.kind === "choice" ? band * 0.45 : 0);
  const describe = (p: Point) =>
    `#${p.trial.number} · ${param.name}=${formatParam(p.trial.params[param.name]!)} · ${options.objective}=${formatValue(p.y)}${p.pruned ? " (pruned, last report)" : ""}`;
  const complete: string[] = [];
  const pruned: string[] = [];
  let bestXY: [number, number] = [0, 0];
  for (const [p, px, py] of placed) {
    if (p === bestPoint) bestXY = [px, py];
    const tip = title(describe(p));
    if (p.pruned) pruned.push(el("path", { d: triangle(px, py), "data-trial": String(p.trial.number) }, tip));
    else complete.push(el("circle", { cx: px, cy: py, r: RADIUS, "data-trial": String(p.trial.number) }, tip));
  }
  const nComplete = points.filter((p) => !p.pruned).length;
  const nPruned = points.length - nComplete;
  const bestText = `best #${best.number}: ${formatValue(bestPoint.y)}`;

  const legendItems = [
    { swatch: el("circle", { r: RADIUS, fill: STATE_COLOUR.complete, "fill-opacity": 0.7 }), label: `complete (${nComplete})` },
    ...(nPruned > 0
      ? [{ swatch: el("path", { d: triangle(0, 0), fill: "none", stroke: STATE_COLOUR.pruned, "stroke-width": 1.5 }), label: `pruned, at last reported value (${nPruned})` }]
      : []),
    { swatch: el("circle", { r: RADIUS + 3, fill: "none", stroke: BEST_COLOUR, "stroke-width": 2 }), label: bestText },
  ];
  const skipped = sorted.filter((t) => t.state === "complete" || t.state === "pruned").length - points.length;
  const xTitle = spec.kind === "choice" ? param.name : `${param.name}${logX ? " (log scale)" : ""}`;
  const yTitle = `${options.objective}${logY ? " (log scale)" : ""}`;

  return svgDocument(width, height, label, [
    heading(label),
    legend(legendItems, 16, 40),
    yAxis(frame, yScale, yTitle),
    xAxis(frame, ticks, xTitle, frame.bottom + labelDepth + 14, rotate),
    el("g", { class: "complete", fill: STATE_COLOUR.complete, "fill-opacity": 0.7, stroke: "#ffffff", "stroke-width": 0.5 }, ...complete),
    el("g", { class: "pruned", fill: "none", stroke: STATE_COLOUR.pruned, "stroke-width": 1.5 }, ...pruned),
    el(
      "g",
      { class: "best", "data-trial": String(best.number) },
      el("circle", { cx: bestXY[0], cy: bestXY[1], r: RADIUS + 3, fill: "none", stroke: BEST_COLOUR, "stroke-width": 2 }),
      bestLabel(frame, bestXY[0], bestXY[1], `best #${best.number}`),
    ),
    caption(skipped > 0 ? [`${skipped} finished trial${skipped === 1 ? "" : "s"} without a usable value left out`] : [], height - 6),
  ]);
}

/** A triangle marker's path centred on (x, y). */
function triangle(x: number, y: number): string {
  const r = RADIUS + 1;
  return `M${num(x)} ${num(y - r)}l${num(r * 0.866)} ${num(r * 1.5)}h${num(-r * 1.732)}z`;
}

/**
 * Pixel positions of the points. Within a choice column each point takes the first free sideways
 * offset (0, +d, -d, +2d, ...) up to `spread` where it overlaps no point already placed there,
 * in trial order: stacked without random jitter, the same every time.
 */
function place(points: readonly Point[], mapX: (x: number) => number, mapY: (y: number) => number, spread: number): [Point, number, number][] {
  const out: [Point, number, number][] = [];
  const columns = new Map<number, [number, number][]>();
  const d = RADIUS * 1.9;
  const slots = spread > 0 ? Math.floor(spread / d) : 0;
  for (const p of points) {
    const cx = mapX(p.x);
    const py = mapY(p.y);
    if (slots === 0) {
      out.push([p, cx, py]);
      continue;
    }
    const column = columns.get(p.x) ?? [];
    columns.set(p.x, column);
    let dx = 0;
    for (let k = 0; k <= 2 * slots; k++) {
      const offset = k === 0 ? 0 : (k % 2 === 1 ? 1 : -1) * Math.ceil(k / 2) * d;
      if (column.every(([ox, oy]) => (ox - offset) ** 2 + (oy - py) ** 2 >= d * d)) {
        dx = offset;
        break;
      }
    }
    column.push([dx, py]);
    out.push([p, cx + dx, py]);
  }
  return out;
}
