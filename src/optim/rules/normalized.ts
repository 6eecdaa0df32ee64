import { epsField, lrField } from "../hyper";
import { definePytorchRule } from "../rule";
import { chain, trace, type Transform } from "../transform";

export interface NormalizedHyper {
  [k: string]: number | boolean;
  lr: number;
  eps: number;
  momentum: number;
  weight_decay: number;
  maximize: boolean;
}

/**
 * `u = u / (‖u‖₂ + eps)`, the 2-norm over the elements being updated (the whole shard, or the
 * range of a range push), summed in float64. A zero vector stays zero whatever `eps`.
 */
export function normalizeByNorm(eps: number): Transform {
  return {
    slots: [],
    scalars: [],
    update(u) {
      let sum = 0;
      for (let i = 0; i < u.length; i++) sum += u[i]! * u[i]!;
      const denominator = Math.sqrt(sum) + eps;
      if (denominator === 0) return;
      for (let i = 0; i < u.length; i++) u[i] = u[i]! / denominator;
    },
  };
}

export const normalized = definePytorchRule<NormalizedHyper>({
  name: "normalized",
  reference: "normalized gradient descent, x -= lr * g / (‖g‖₂ + eps)",
  spec: {
    lr: lrField(1e-3),
    eps: epsField(1e-8),
    momentum: { kind: "number", default: 0, min: 0, below: 1 },
  },
  scale: (h) => chain(normalizeByNorm(h.eps), trace({ momentum: h.momentum, dampening: 0, nesterov: false, ema: false })),
  fast: (h, { variant, p, g, slot, sgn, wd }) => {
    const sumSquares = variant("normalized_norm") as unknown as (n: number, p: number, g: number, sgn: number, wd: number) => number;
    const { eps, momentum: mu } = h;
    const plain = variant("normalized");
    const first = variant("normalized_first");
    const later = variant("normalized_momentum");
    const buf = slot("momentum_buffer");
    return (n, o, t, lr) => {
      const denominator = Math.sqrt(sumSquares(n, p + o, g + o, sgn, wd)) + eps;
      const f = mu === 0 ? plain : t === 1 ? first : later;
      f(n, p + o, g + o, buf + o, sgn, wd, denominator === 0 ? 0 : 1 / denominator, -lr, mu);
    };
  },
});
