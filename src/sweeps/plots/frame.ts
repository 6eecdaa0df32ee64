/**
 * The parts every plot shares: the plot area, axes with grid lines and tick labels, a legend row,
 * captions, and the empty plot.
 */
import { BEST_COLOUR, GRID, INK, MUTED } from "./palette";
import type { Scale } from "./scale";
import { el, svgDocument, text, title } from "./svg";

export const FONT_SIZE = 12;
/** A rough width of a character at the plots' font size (for layout only). */
export const CHAR_WIDTH = 6.6;

/** The plot area inside the document, in pixels. */
export interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

/** An x tick at a pixel position (numeric or categorical). */
export interface XTick {
  readonly x: number;
  readonly label: string;
  readonly minor: boolean;
  /** The untruncated label, shown as a tooltip when it differs. */
  readonly full?: string;
}

/** `label` cut to `max` characters (code points) with an ellipsis. */
export function truncate(label: string, max: number): string {
  const chars = [...label];
  return chars.length <= max ? label : `${chars.slice(0, max - 1).join("")}…`;
}

/** Text's approximate width in pixels. */
export function textWidth(label: string): number {
  return [...label].length * CHAR_WIDTH;
}

/** The x ticks of a numeric scale. */
export function scaleTicks(scale: Scale): XTick[] {
  return scale.ticks.map((t) => ({ x: scale.map(t.value), label: t.label, minor: t.minor }));
}

/** The left margin that fits the y scale's tick labels and the y title. */
export function leftMargin(y: Scale): number {
  const widest = Math.max(0, ...y.ticks.map((t) => textWidth(t.label)));
  return Math.min(130, Math.round(widest + 40));
}

/** The title at the top left. */
export function heading(label: string): string {
  return text(12, 20, truncate(label, 90), { "font-size": 14, "font-weight": "bold", fill: INK, class: "title" });
}

/** Horizontal grid lines and the y axis: tick marks, labels and the (rotated) title. */
export function yAxis(frame: Frame, y: Scale, label: string): string {
  const grid: string[] = [];
  const marks: string[] = [];
  const labels: string[] = [];
  for (const t of y.ticks) {
    const py = y.map(t.value);
    if (py < frame.top - 0.5 || py > frame.bottom + 0.5) continue;
    if (!t.minor) grid.push(el("line", { x1: frame.left, x2: frame.right, y1: py, y2: py }));
    marks.push(el("line", { x1: frame.left - (t.minor ? 3 : 5), x2: frame.left, y1: py, y2: py }));
    if (t.label !== "") labels.push(text(frame.left - 8, py, t.label, { "text-anchor": "end", "dominant-baseline": "middle" }));
  }
  const cx = 14;
  const cy = Math.round(((frame.top + frame.bottom) / 2) * 100) / 100;
  return el(
    "g",
    { class: "y-axis", fill: INK },
    el("g", { stroke: GRID }, ...grid),
    el("g", { stroke: INK }, ...marks),
    ...labels,
    el("line", { x1: frame.left, x2: frame.left, y1: frame.top, y2: frame.bottom, stroke: INK }),
    text(cx, cy, truncate(label, 60), { "text-anchor": "middle", transform: `rotate(-90 ${cx} ${cy})`, class: "axis-title" }),
  );
}

/** The x axis: tick marks, labels (rotated when `rotate`), and the title (its baseline at `titleY`). */
export function xAxis(frame: Frame, ticks: readonly XTick[], label: string, titleY: number, rotate = false): string {
  const marks: string[] = [];
  const labels: string[] = [];
  for (const t of ticks) {
    if (t.x < frame.left - 0.5 || t.x > frame.right + 0.5) continue;
    marks.push(el("line", { x1: t.x, x2: t.x, y1: frame.bottom, y2: frame.bottom + (t.minor ? 3 : 5) }));
    if (t.label === "") continue;
    const ly = frame.bottom + 18;
    const attrs = rotate
      ? { "text-anchor": "end", transform: `rotate(-35 ${Math.round(t.x * 100) / 100} ${ly - 6})` }
      : { "text-anchor": "middle" };
    labels.push(text(t.x, ly, t.label, attrs, t.full !== undefined && t.full !== t.label ? title(t.full) : ""));
  }
  return el(
    "g",
    { class: "x-axis", fill: INK },
    el("g", { stroke: INK }, ...marks),
    ...labels,
    el("line", { x1: frame.left, x2: frame.right, y1: frame.bottom, y2: frame.bottom, stroke: INK }),
    text((frame.left + frame.right) / 2, titleY, truncate(label, 80), { "text-anchor": "middle", class: "axis-title" }),
  );
}

/** One legend entry: a swatch (markup centred on 0,0) and its label. */
export interface LegendItem {
  readonly swatch: string;
  readonly label: string;
}

/** The legend as one row starting at (x, y). */
export function legend(items: readonly LegendItem[], x: number, y: number): string {
  const parts: string[] = [];
  let at = x;
  for (const item of items) {
    parts.push(el("g", { transform: `translate(${Math.round(at * 100) / 100} ${y})` }, item.swatch, text(10, 0, item.label, { "dominant-baseline": "middle" })));
    at += 30 + textWidth(item.label);
  }
  return el("g", { class: "legend", fill: INK }, ...parts);
}

/** Caption lines, bottom-left, the last at `y`. */
export function caption(lines: readonly string[], y: number): string {
  if (lines.length === 0) return "";
  return el("g", { class: "caption", fill: MUTED, "font-size": 11 }, ...lines.map((line, i) => text(12, y - (lines.length - 1 - i) * 14, line)));
}

/** A plot with nothing to show: its title and a centred message. */
export function emptyPlot(width: number, height: number, label: string, message: string): string {
  return svgDocument(width, height, label, [
    heading(label),
    el("rect", { x: 12, y: 36, width: width - 24, height: height - 48, fill: "none", stroke: GRID }),
    text(width / 2, height / 2, message, { "text-anchor": "middle", "dominant-baseline": "middle", fill: MUTED, "font-size": 14, class: "empty" }),
  ]);
}

/**
 * The best trial's label next to a point (with a white halo over the data): above right, flipped
 * left near the right edge and below near the top.
 */
export function bestLabel(frame: Frame, x: number, y: number, label: string): string {
  const flip = x + 10 + textWidth(label) > frame.right;
  const below = y - 20 < frame.top;
  return text(flip ? x - 10 : x + 10, below ? y + 18 : y - 8, label, {
    "text-anchor": flip ? "end" : "start",
    fill: BEST_COLOUR,
    stroke: "#ffffff",
    "stroke-width": 3,
    "stroke-opacity": 0.85,
    "paint-order": "stroke",
    "font-weight": "bold",
  });
}
