/**
 * Scales from data to pixels and their ticks: linear scales with "nice" 1-2-5 ticks whose domain is
 * widened to the outer ticks, logarithmic scales widened to whole decades with a tick per decade.
 */

export interface Tick {
  readonly value: number;
  /** Empty for minor ticks. */
  readonly label: string;
  readonly minor: boolean;
}

export interface Scale {
  readonly kind: "linear" | "log";
  /** The data interval shown (log: positive). */
  readonly domain: readonly [number, number];
  /** The pixel interval it maps to (may run backwards, as y axes do). */
  readonly range: readonly [number, number];
  readonly ticks: readonly Tick[];
  /** The pixel coordinate of a value. */
  map(value: number): number;
}

/** 10^e exactly as the decimal literal (10 ** e can be off in the last bit for negative e). */
export function pow10(e: number): number {
  return Number(`1e${e}`);
}

/** A value cleaned of accumulated floating-point noise (0.30000000000000004 → 0.3). */
function clean(value: number): number {
  return Number(value.toPrecision(12));
}

/** A value in compact exponent form ("2.5e-7", "1e6"). */
function exponential(value: number): string {
  return clean(value).toExponential().replace("e+", "e");
}

/**
 * Evenly spaced ticks at multiples of a 1-2-5 step, about `target` of them, covering [lo, hi]:
 * the step, its decimal exponent, and the ticks (the first ≤ lo, the last ≥ hi).
 */
export function niceTicks(lo: number, hi: number, target = 5, integer = false): { step: number; exponent: number; values: number[] } {
  if (!(hi > lo)) throw new RangeError("niceTicks needs lo < hi");
  // Integer axes never step by less than 1.
  const raw = Math.max(integer ? 1 : 0, (hi - lo) / Math.max(1, target));
  let exponent = Math.floor(Math.log10(raw));
  const norm = raw / pow10(exponent);
  let mantissa: number;
  if (norm < 1.5) mantissa = 1;
  else if (norm < 3) mantissa = 2;
  else if (norm < 7) mantissa = 5;
  else {
    mantissa = 1;
    exponent += 1;
  }
  const step = mantissa * pow10(exponent);
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const values: number[] = [];
  for (let k = first; k <= last; k++) values.push(clean(k * step));
  return { step, exponent, values };
}

/** A linear tick's label: fixed decimals matching the step, or exponent form for very large or small steps. */
export function linearLabel(value: number, exponent: number): string {
  if (value === 0) return "0";
  if (exponent <= -5 || exponent >= 6) return exponential(value);
  return clean(value).toFixed(Math.max(0, -exponent));
}

/** Labels of decade ticks: plain decimals when every decade shown is within 0.01–1000, else "1e-6" (and "1" for 10^0). */
export function decadeLabel(exponent: number, plain: boolean): string {
  if (plain) return pow10(exponent).toFixed(Math.max(0, -exponent));
  return exponent === 0 ? "1" : `1e${exponent}`;
}

/** The finite values' extent, or null. */
function extent(values: Iterable<number>, positiveOnly: boolean): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (positiveOnly && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : null;
}

function mapper(d0: number, d1: number, r0: number, r1: number): (t: number) => number {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (t) => r0 + (t - d0) * k;
}

/**
 * A linear scale over `values` (non-finite ones ignored), widened to nice ticks (whole numbers
 * only when `integer`). A single value gets a small interval around it; no values give [0, 1].
 */
export function linearScale(values: Iterable<number>, range: readonly [number, number], target = 5, integer = false): Scale {
  let [lo, hi] = extent(values, false) ?? [0, 1];
  if (lo === hi) {
    const pad = lo === 0 || integer ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const { exponent, values: ticks } = niceTicks(lo, hi, target, integer);
  const d0 = ticks[0]!;
  const d1 = ticks[ticks.length - 1]!;
  const map = mapper(d0, d1, range[0], range[1]);
  return {
    kind: "linear",
    domain: [d0, d1],
    range,
    ticks: ticks.map((value) => ({ value, label: linearLabel(value, exponent), minor: false })),
    map,
  };
}

/**
 * A logarithmic scale over the positive finite `values`, widened to whole decades (at least one),
 * with a labelled tick per decade (every k-th decade when there are more than `maxLabels`) and
 * unlabelled minor ticks at 2–9 × 10^e when it spans at most two decades.
 */
export function logScale(values: Iterable<number>, range: readonly [number, number], maxLabels = 8): Scale {
  const [lo, hi] = extent(values, true) ?? [1, 10];
  let e0 = Math.floor(Math.log10(lo) + 1e-9);
  let e1 = Math.ceil(Math.log10(hi) - 1e-9);
  if (e1 <= e0) {
    // A single exact power of ten: show the decades on either side.
    e0 -= 1;
    e1 += 1;
  }
  const every = Math.max(1, Math.ceil((e1 - e0 + 1) / maxLabels));
  // Widen to a multiple of the label stride so both ends carry a label.
  e0 = Math.floor(e0 / every) * every;
  e1 = Math.ceil(e1 / every) * every;
  const plain = e0 >= -2 && e1 <= 3;
  const ticks: Tick[] = [];
  for (let e = e0; e <= e1; e++) {
    if ((e - e0) % every === 0) ticks.push({ value: pow10(e), label: decadeLabel(e, plain), minor: false });
    if (e1 - e0 <= 2 && e < e1) for (let m = 2; m <= 9; m++) ticks.push({ value: clean(m * pow10(e)), label: "", minor: true });
  }
  const map = mapper(e0, e1, range[0], range[1]);
  return {
    kind: "log",
    domain: [pow10(e0), pow10(e1)],
    range,
    ticks,
    map: (v) => map(Math.log10(v)),
  };
}

/** Whether values (all positive) span more than `decades` decades: the plots' rule for a log y axis. */
export function wantsLog(values: readonly number[], decades = 2): boolean {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0 || finite.some((v) => v <= 0)) return false;
  const [lo, hi] = extent(finite, true)!;
  return Math.log10(hi / lo) > decades;
}

/** A value for tooltips and captions: 4 significant digits, no trailing zeros. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  const a = Math.abs(value);
  if (a >= 1e6 || a < 1e-4) return Number(value.toPrecision(4)).toExponential().replace("e+", "e");
  return String(Number(value.toPrecision(4)));
}
