import { epsField, lrField, requireThat } from "../hyper";
import { definePytorchRule } from "../rule";
import { chain, trace, type Transform } from "../transform";

export interface NormalizedHyper {
  [k: string]: number | boolean | readonly number[];
  lr: number;
  eps: number;
  momentum: number;
  segments: readonly number[];
  weight_decay: number;
  maximize: boolean;
}

/**
 * `u = u / (‖u‖₂ + eps)`, the 2-norm over the elements being updated (the whole shard, or the
 * range of a range push), summed in float64; with `segments` (lengths adding up to the update's),
 * each segment by its own norm. A zero segment stays zero whatever `eps`.
 */
export function normalizeByNorm(eps: number, segments: readonly number[]): Transform {
  const scale = (u: Float32Array): void => {
    let sum = 0;
    for (let i = 0; i < u.length; i++) sum += u[i]! * u[i]!;
    const denominator = Math.sqrt(sum) + eps;
    if (denominator === 0) return;
    for (let i = 0; i < u.length; i++) u[i] = u[i]! / denominator;
  };
  return {
    slots: [],
    scalars: [],
    update(u) {
      if (segments.length === 0) return scale(u);
      if (u.length !== total(segments)) throw new RangeError(`normalized: an update of ${u.length} elements for segments of ${total(segments)}`);
      let at = 0;
      for (const n of segments) {
        scale(u.subarray(at, at + n));
        at += n;
      }
    },
  };
}

const total = (segments: readonly number[]): number => segments.reduce((a, b) => a + b, 0);

/** [offset, count] of every segment of an update of `n` elements: the whole one when there are none. */
const pieces = (segments: readonly number[], n: number): [number, number][] => {
  if (segments.length === 0) return [[0, n]];
  let at = 0;
  return segments.map((count) => {
    at += count;
    return [at - count, count];
  });
};

export const normalized = definePytorchRule<NormalizedHyper>({
  name: "normalized",
  reference: "normalized gradient descent, x -= lr * g / (‖g‖₂ + eps)",
  spec: {
    lr: lrField(1e-3),
    eps: epsField(1e-8),
    momentum: { kind: "number", default: 0, min: 0, below: 1 },
    segments: { kind: "numbers", default: [] },
  },
  check(h) {
    const ok = h.segments.every((n) => Number.isInteger(n) && n >= 1);
    requireThat(ok, "normalized", "segments", `'segments' must be lengths (positive integers) of consecutive parts, each normalized by its own norm, got ${JSON.stringify(h.segments)}`);
  },
  fitsLength(h, length) {
    if (h.segments.length === 0 || total(h.segments) === length) return undefined;
    return `normalized: 'segments' add up to ${total(h.segments)}; the shard has ${length}`;
  },
  elementwise: (h) => h.segments.length === 0,
  segmented: true,
  scale: (h) => chain(normalizeByNorm(h.eps, h.segments), trace({ momentum: h.momentum, dampening: 0, nesterov: false, ema: false })),
  fast: (h, { variant, p, g, slot, sgn, wd }) => {
    const sumSquares = variant("normalized_norm") as unknown as (n: number, p: number, g: number, sgn: number, wd: number) => number;
    const { eps, momentum: mu, segments } = h;
    const plain = variant("normalized");
    const first = variant("normalized_first");
    const later = variant("normalized_momentum");
    const buf = slot("momentum_buffer");
    return (n, o, t, lr) => {
      if (segments.length > 0 && n !== total(segments)) throw new RangeError(`normalized: an update of ${n} elements for segments of ${total(segments)}`);
      const f = mu === 0 ? plain : t === 1 ? first : later;
      for (const [at, count] of pieces(segments, n)) {
        const b = o + 4 * at;
        const denominator = Math.sqrt(sumSquares(count, p + b, g + b, sgn, wd)) + eps;
        f(count, p + b, g + b, buf + b, sgn, wd, denominator === 0 ? 0 : 1 / denominator, -lr, mu);
      }
    };
  },
});
