import { flag, lrField, nonNegative, requireThat, type HyperSpec } from "../hyper";
import { defineRule } from "../rule";
import { slot, type SlotSpec } from "../state";
import { chain, negate, type Transform } from "../transform";

export interface AdafactorHyper {
  [k: string]: number | boolean | readonly number[];
  lr: number;
  beta2_decay: number;
  eps: readonly [number, number];
  d: number;
  weight_decay: number;
  maximize: boolean;
  shape: readonly number[];
}

const rms = (x: ArrayLike<number>): number => {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]! * x[i]!;
  return x.length === 0 ? 0 : Math.sqrt(sum / x.length);
};

/**
 * Adafactor (Shazeer & Stern 2018), Algorithm 4 for a matrix of `shape` [rows, cols] (row-major),
 * Algorithm 5 for a vector, without momentum (the paper's β1 = 0), with relative step and update
 * clipping. Update `t` over gradient `G`, weights `X`:
 *   ρ = min(lr, 1 / √t);  α = max(eps2, RMS(X)) · ρ;  β̂2 = 1 − t^beta2_decay
 *   matrix: row_var = β̂2 · row_var + (1 − β̂2) · mean over columns of (G² + eps1)
 *           col_var = β̂2 · col_var + (1 − β̂2) · mean over rows of (G² + eps1)
 *           V = row_var ⊗ col_var / mean(row_var)      (the paper's R C / 1ᵀR, in means)
 *   vector: variance = β̂2 · variance + (1 − β̂2) · (G² + eps1);  V = variance
 *   U = G / √V;  Û = U / max(1, RMS(U) / d);  X ← X − α · Û − lr · weight_decay · X
 * RMS(X) and RMS(U) are over the elements updated. Sums in float64.
 */
export function adafactorUpdate(o: { decay: number; eps1: number; eps2: number; d: number; weightDecay: number; shape: readonly number[] }): Transform {
  const { decay, eps1, eps2, d, weightDecay } = o;
  const [rows, cols] = o.shape;
  const factored = rows !== undefined && cols !== undefined;
  const slots: SlotSpec[] = factored
    ? [
        { name: "row_var", initial: 0, length: rows },
        { name: "col_var", initial: 0, length: cols },
      ]
    : [{ name: "variance", initial: 0 }];
  return {
    slots,
    scalars: [],
    update(u, state, params, { step, lr }) {
      const alpha = Math.max(eps2, rms(params)) * Math.min(lr, 1 / Math.sqrt(step));
      const fresh = step ** decay;
      const keep = 1 - fresh;
      if (factored) {
        if (u.length !== rows * cols) throw new RangeError(`adafactor: an update of ${u.length} elements for a [${rows}, ${cols}] matrix`);
        const row = slot(state, "row_var");
        const col = slot(state, "col_var");
        const colSums = new Float64Array(cols);
        for (let r = 0; r < rows; r++) {
          let sum = 0;
          for (let c = 0; c < cols; c++) {
            const g2 = u[r * cols + c]! ** 2 + eps1;
            sum += g2;
            colSums[c] = colSums[c]! + g2;
          }
          row[r] = keep * row[r]! + fresh * (sum / cols);
        }
        for (let c = 0; c < cols; c++) col[c] = keep * col[c]! + fresh * (colSums[c]! / rows);
        let rowMean = 0;
        for (let r = 0; r < rows; r++) rowMean += row[r]!;
        rowMean /= rows;
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++) u[r * cols + c] = u[r * cols + c]! / Math.sqrt((row[r]! * col[c]!) / rowMean);
        }
      } else {
        const v = slot(state, "variance");
        for (let i = 0; i < u.length; i++) {
          v[i] = keep * v[i]! + fresh * (u[i]! ** 2 + eps1);
          u[i] = u[i]! / Math.sqrt(v[i]!);
        }
      }
      const scale = alpha / Math.max(1, rms(u) / d);
      const decayRate = lr * weightDecay;
      for (let i = 0; i < u.length; i++) u[i] = -(scale * u[i]!) - decayRate * params[i]!;
    },
  };
}

const spec: HyperSpec = {
  lr: lrField(1e-2),
  beta2_decay: { kind: "number", default: -0.8, max: 0 },
  eps: { kind: "pair", default: [1e-30, 1e-3], min: 0 },
  d: { kind: "number", default: 1, above: 0 },
  weight_decay: nonNegative(0),
  maximize: flag(),
  shape: { kind: "numbers", default: [] },
};

const isFactored = (h: AdafactorHyper): boolean => h.shape.length === 2;

export const adafactor = defineRule<AdafactorHyper>({
  name: "adafactor",
  reference: "Adafactor (Shazeer & Stern 2018, Algorithms 4 and 5, β1 = 0)",
  spec,
  check(h) {
    const ok = h.shape.length === 0 || (h.shape.length === 2 && h.shape.every((n) => Number.isInteger(n) && n >= 1));
    requireThat(ok, "adafactor", "shape", `'shape' must be [] (a vector) or [rows, cols] of positive integers, got ${JSON.stringify(h.shape)}`);
  },
  fitsLength(h, length) {
    if (!isFactored(h)) return undefined;
    const [rows, cols] = h.shape as [number, number];
    return rows * cols === length ? undefined : `adafactor: 'shape' [${rows}, ${cols}] has ${rows * cols} elements; the shard has ${length}`;
  },
  elementwise: (h) => !isFactored(h),
  transform: (h) =>
    chain(
      negate(h.maximize),
      adafactorUpdate({ decay: h.beta2_decay, eps1: h.eps[0], eps2: h.eps[1], d: h.d, weightDecay: h.weight_decay, shape: h.shape }),
    ),
});
