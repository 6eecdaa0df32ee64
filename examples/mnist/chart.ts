/**
 * A line chart as SVG text, with no dependencies: named series of (x, y) points, axes with ticks
 * at round values, a legend, and optionally a logarithmic y axis. The same input gives the same
 * bytes (coordinates rounded to 0.1 px, a fixed palette).
 */

export interface Series {
  name: string;
  points: readonly (readonly [x: number, y: number])[];
  /** Index into the palette (default: the series' own index), so related series can share a colour. */
  color?: number;
  /** A dashed line. */
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  /** A base-10 logarithmic y axis (points with y ≤ 0 are left out). */
  logY?: boolean;
  /** A base-10 logarithmic x axis (points with x ≤ 0 are left out). */
  logX?: boolean;
  /** The legend inside the plot's top right corner (default), or right of the plot (the chart grows wider). */
  legend?: "inside" | "right";
  width?: number;
  height?: number;
}

/** Tableau 10. */
const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
const MARGIN = { top: 40, right: 20, bottom: 50, left: 64 };

const escape = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const px = (v: number): string => (Math.round(v * 10) / 10).toString();

/** A tick label: up to 4 significant digits, no float noise, exponent form for tiny or huge values. */
export function formatTick(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0).replace("e+", "e");
  return String(Number(v.toPrecision(4)));
}

/** Round values covering [lo, hi]: steps of 1, 2 or 5 × 10^k, about `count` of them. */
export function linearTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let i = Math.ceil(lo / step); i * step <= hi + step * 1e-9; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Powers of ten in [lo, hi] (both > 0); with 1, 2 and 5 × 10^k when the range spans few decades. */
export function logTicks(lo: number, hi: number): number[] {
  const decades = Math.log10(hi / lo);
  const mantissas = decades < 1.5 ? [1, 2, 5] : decades < 3 ? [1, 3] : [1];
  const ticks: number[] = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
    for (const m of mantissas) {
      const v = Number((m * 10 ** k).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push(v);
    }
  }
  return ticks.length >= 2 ? ticks : [lo, hi];
}

interface Axis {
  lo: number;
  hi: number;
  ticks: number[];
  /** Value to pixel. */
  at(v: number): number;
}

function axis(values: number[], from: number, to: number, log: boolean): Axis {
  let lo = values.reduce((a, b) => Math.min(a, b));
  let hi = values.reduce((a, b) => Math.max(a, b));
  if (lo === hi) [lo, hi] = log ? [lo / 2, hi * 2] : [lo - 1, hi + 1];
  const f = log ? Math.log10 : (v: number) => v;
  if (!log) {
    const ticks = linearTicks(lo, hi);
    const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : 0;
    // Extend to the ticks just outside, so the data fills the frame between round values.
    if (step > 0) [lo, hi] = [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step];
  }
  const ticks = log ? logTicks(lo, hi) : linearTicks(lo, hi);
  const [a, b] = [f(lo), f(hi)];
  return { lo, hi, ticks, at: (v) => from + ((f(v) - a) / (b - a)) * (to - from) };
}

/** SVG path data for the points, a new segment after every gap (a point left out). */
function pathOf(points: readonly (readonly [number, number])[], x: Axis, y: Axis, keep: (p: readonly [number, number]) => boolean): string {
  let d = "";
  let pen = "M";
  for (const p of points) {
    if (!keep(p)) {
      pen = "M";
      continue;
    }
    d += `${pen}${px(x.at(p[0]))} ${px(y.at(p[1]))}`;
    pen = "L";
  }
  return d;
}

export function lineChart(options: ChartOptions): string {
  const width = options.width ?? 800;
  const height = options.height ?? 500;
  const logY = options.logY ?? false;
  const logX = options.logX ?? false;
  const keep = (p: readonly [number, number]) => Number.isFinite(p[0]) && Number.isFinite(p[1]) && (!logY || p[1] > 0) && (!logX || p[0] > 0);
  const kept = options.series.flatMap((s) => s.points.filter(keep));
  if (kept.length === 0) throw new RangeError("lineChart: no point to draw");
  const legendWidth = 12 + 7 * options.series.reduce((n, s) => Math.max(n, s.name.length), 0) + 34;
  const outside = options.legend === "right" ? legendWidth + 10 : 0;
  const [left, right, top, bottom] = [MARGIN.left, width - MARGIN.right - outside, MARGIN.top, height - MARGIN.bottom];
  const x = axis(kept.map((p) => p[0]), left, right, logX);
  const y = axis(kept.map((p) => p[1]), bottom, top, logY);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${px(width / 2)}" y="22" text-anchor="middle" font-size="15">${escape(options.title)}</text>`,
  ];
  for (const t of y.ticks) {
    const at = px(y.at(t));
    out.push(`<line x1="${left}" x2="${right}" y1="${at}" y2="${at}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${left - 6}" y="${at}" text-anchor="end" dominant-baseline="middle">${formatTick(t)}</text>`);
  }
  for (const t of x.ticks) {
    const at = px(x.at(t));
    out.push(`<line x1="${at}" x2="${at}" y1="${bottom}" y2="${bottom + 5}" stroke="#333"/>`);
    out.push(`<text x="${at}" y="${bottom + 18}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  out.push(`<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${px((left + right) / 2)}" y="${height - 10}" text-anchor="middle">${escape(options.xLabel + (logX ? " (log scale)" : ""))}</text>`);
  out.push(`<text transform="translate(16 ${px((top + bottom) / 2)}) rotate(-90)" text-anchor="middle">${escape(options.yLabel + (logY ? " (log scale)" : ""))}</text>`);

  const stroke = (s: Series, i: number, width: number) =>
    `stroke="${PALETTE[(s.color ?? i) % PALETTE.length]}" stroke-width="${width}"${s.dashed ? ` stroke-dasharray="6 4"` : ""}`;
  options.series.forEach((s, i) => {
    out.push(`<path d="${pathOf(s.points, x, y, keep)}" fill="none" ${stroke(s, i, 1.5)} stroke-linejoin="round"/>`);
  });

  const legendX = outside > 0 ? right + 10 : right - legendWidth - 10;
  out.push(`<rect x="${legendX}" y="${top + 10}" width="${legendWidth}" height="${options.series.length * 18 + 8}" fill="white" fill-opacity="0.9" stroke="#ccc"/>`);
  options.series.forEach((s, i) => {
    const rowY = top + 22 + i * 18;
    out.push(`<line x1="${legendX + 8}" x2="${legendX + 30}" y1="${rowY}" y2="${rowY}" ${stroke(s, i, 2.5)}/>`);
    out.push(`<text x="${legendX + 36}" y="${rowY}" dominant-baseline="middle">${escape(s.name)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** Charts of lineChart side by side in one SVG (each keeps its own size). */
export function sideBySide(charts: readonly string[]): string {
  const size = (svg: string) => {
    const [, w, h] = /width="(\d+)" height="(\d+)"/.exec(svg) ?? [];
    return [Number(w), Number(h)] as const;
  };
  let x = 0;
  const placed = charts.map((svg) => {
    const [w] = size(svg);
    const at = x;
    x += w;
    return svg.replace("<svg ", `<svg x="${at}" y="0" `).trimEnd();
  });
  const height = Math.max(...charts.map((svg) => size(svg)[1]));
  return [`<svg xmlns="http://www.w3.org/2000/svg" width="${x}" height="${height}" viewBox="0 0 ${x} ${height}">`, ...placed, "</svg>"].join("\n") + "\n";
}
