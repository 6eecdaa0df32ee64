import { betasField, epsField, lrField, nonNegative } from "../hyper";
import { definePytorchRule } from "../rule";
import { slot } from "../state";
import type { Transform } from "../transform";

export interface YogiHyper {
  [k: string]: number | boolean | readonly [number, number];
  lr: number;
  betas: readonly [number, number];
  eps: number;
  eps_root: number;
  initial_accumulator_value: number;
  weight_decay: number;
  maximize: boolean;
}

/**
 * Yogi (Zaheer et al. 2018, Algorithm 2, as FedYogi uses it; unlike optax, m starts at 0 and nothing is bias-corrected):
 * `exp_avg = b1 * exp_avg + (1 - b1) * u`;
 * `exp_avg_sq = exp_avg_sq - (1 - b2) * sign(exp_avg_sq - u²) * u²`;
 * `u = exp_avg / (sqrt(exp_avg_sq + eps_root) + eps)`.
 */
export function scaleByYogi(o: { b1: number; b2: number; eps: number; epsRoot: number; initial: number }): Transform {
  const { b1, b2, eps, epsRoot } = o;
  return {
    slots: [
      { name: "exp_avg", initial: 0 },
      { name: "exp_avg_sq", initial: o.initial },
    ],
    scalars: [],
    update(u, state) {
      const m = slot(state, "exp_avg");
      const v = slot(state, "exp_avg_sq");
      for (let i = 0; i < u.length; i++) {
        const g = u[i]!;
        const g2 = Math.fround(g * g);
        m[i] = b1 * m[i]! + (1 - b1) * g;
        v[i] = v[i]! - (1 - b2) * Math.sign(v[i]! - g2) * g2;
        u[i] = m[i]! / (Math.sqrt(v[i]! + epsRoot) + eps);
      }
    },
  };
}

export const yogi = definePytorchRule<YogiHyper>({
  name: "yogi",
  reference: "Zaheer et al. 2018, Algorithm 2 (as FedYogi)",
  spec: {
    lr: lrField(1e-2),
    betas: betasField(0.9, 0.999),
    eps: epsField(1e-3),
    eps_root: epsField(0),
    initial_accumulator_value: nonNegative(1e-6),
  },
  scale: (h) => scaleByYogi({ b1: h.betas[0], b2: h.betas[1], eps: h.eps, epsRoot: h.eps_root, initial: h.initial_accumulator_value }),
  fast: (h, { variant, p, g, slot, sgn, wd }) => {
    const f = variant("yogi");
    const { betas: [b1, b2], eps, eps_root: epsRoot } = h;
    const m = slot("exp_avg");
    const v = slot("exp_avg_sq");
    return (n, o, _t, lr) => f(n, p + o, g + o, m + o, v + o, sgn, wd, b1, 1 - b1, 1 - b2, epsRoot, eps, -lr);
  },
});
