import { betasField, epsField, lrField } from "../hyper";
import { biasCorrection, definePytorchRule } from "../rule";
import { slot, zeroSlots } from "../state";
import type { Transform } from "../transform";

export interface AdamaxHyper {
  [k: string]: number | boolean | readonly [number, number];
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weight_decay: number;
  maximize: boolean;
}

/**
 * `exp_avg = b1 * exp_avg + (1 - b1) * u`; `exp_inf = max(b2 * exp_inf, |u| + eps)`;
 * `u = exp_avg / (1 - b1 ** step) / exp_inf`. Eps is added to |u| before the max, as PyTorch does.
 */
export function scaleByAdamax(o: { b1: number; b2: number; eps: number }): Transform {
  const { b1, b2, eps } = o;
  return {
    slots: zeroSlots("exp_avg", "exp_inf"),
    scalars: [],
    update(u, state, _params, { step }) {
      const m = slot(state, "exp_avg");
      const inf = slot(state, "exp_inf");
      const bc1 = biasCorrection(b1, step);
      for (let i = 0; i < u.length; i++) {
        const g = u[i]!;
        m[i] = b1 * m[i]! + (1 - b1) * g;
        inf[i] = Math.max(Math.fround(b2 * inf[i]!), Math.fround(Math.abs(g) + eps));
        u[i] = m[i]! / bc1 / inf[i]!;
      }
    },
  };
}

export const adamax = definePytorchRule<AdamaxHyper>({
  name: "adamax",
  reference: "torch.optim.Adamax",
  spec: {
    lr: lrField(2e-3),
    betas: betasField(0.9, 0.999),
    eps: epsField(1e-8),
  },
  scale: (h) => scaleByAdamax({ b1: h.betas[0], b2: h.betas[1], eps: h.eps }),
  fast: (h, { variant, p, g, slot, sgn, wd }) => {
    const f = variant("adamax");
    const { betas: [b1, b2], eps } = h;
    const m = slot("exp_avg");
    const inf = slot("exp_inf");
    return (n, o, t, lr) => f(n, p + o, g + o, m + o, inf + o, sgn, wd, b1, 1 - b1, b2, eps, -(lr / biasCorrection(b1, t)));
  },
});
