import { gradientSign } from "../fast/plan";
import { betasField, flag, lrField, nonNegative } from "../hyper";
import { defineRule } from "../rule";
import { slot, zeroSlots } from "../state";
import { addDecoupledWeightDecay, chain, negate, scaleByLearningRate, type Transform } from "../transform";

export interface LionHyper {
  [k: string]: number | boolean | readonly [number, number];
  lr: number;
  betas: readonly [number, number];
  weight_decay: number;
  maximize: boolean;
}

/**
 * Lion (Chen et al. 2023, Algorithm 2): `c = b1 * exp_avg + (1 - b1) * u`; `u = sign(c)`;
 * `exp_avg = b2 * exp_avg + (1 - b2) * u` (the gradient's, not the sign's). sign(0) = 0.
 * `c`'s two products are float32s (its sign is all that is used).
 */
export function scaleByLion(o: { b1: number; b2: number }): Transform {
  const { b1, b2 } = o;
  return {
    slots: zeroSlots("exp_avg"),
    scalars: [],
    update(u, state) {
      const m = slot(state, "exp_avg");
      for (let i = 0; i < u.length; i++) {
        const g = u[i]!;
        // Each product rounded to float32 as PyTorch's tensor ops (and the kernel) do: a tiny
        // b1 * m must vanish here as it does there, or sign(c) differs where u = 0.
        const c = Math.fround(b1 * m[i]!) + Math.fround((1 - b1) * g);
        m[i] = b2 * m[i]! + (1 - b2) * g;
        u[i] = Math.sign(c);
      }
    },
  };
}

export const lion = defineRule<LionHyper>({
  name: "lion",
  reference: "Lion (Chen et al. 2023, Algorithm 2)",
  spec: {
    lr: lrField(1e-4),
    betas: betasField(0.9, 0.99),
    weight_decay: nonNegative(0),
    maximize: flag(),
  },
  transform: (h) =>
    chain(negate(h.maximize), scaleByLion({ b1: h.betas[0], b2: h.betas[1] }), addDecoupledWeightDecay(h.weight_decay), scaleByLearningRate),
  fast: (h, { kernel, p, g, slot }) => {
    const f = kernel("lion");
    const sgn = gradientSign(h.maximize);
    const { betas: [b1, b2], weight_decay: wd } = h;
    const m = slot("exp_avg");
    return (n, o, _t, lr) => f(n, p + o, g + o, m + o, sgn, b1, 1 - b1, b2, 1 - b2, -lr, 1 - lr * wd);
  },
});
