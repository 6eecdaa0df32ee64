import { betasField, epsField, lrField, nonNegative } from "../hyper";
import { biasCorrection, definePytorchRule } from "../rule";
import { slot, zeroSlots } from "../state";
import type { Transform } from "../transform";

export interface NadamHyper {
  [k: string]: number | boolean | readonly [number, number];
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weight_decay: number;
  momentum_decay: number;
  maximize: boolean;
}

/** NAdam's momentum coefficient for update `step`: `b1 * (1 - 0.5 * 0.96 ** (step * momentum_decay))`. */
export const nadamMu = (b1: number, momentumDecay: number, step: number): number =>
  b1 * (1 - 0.5 * 0.96 ** (step * momentumDecay));

/**
 * PyTorch 2.x NAdam (1.13 multiplied mu into the next product twice):
 * `mu_product *= mu_t`; `denom = sqrt(exp_avg_sq / bc2) + eps`;
 * `u = (1 - mu_t) / (1 - mu_product) * u / denom + mu_{t+1} / (1 - mu_product * mu_{t+1}) * exp_avg / denom`.
 */
export function scaleByNadam(o: { b1: number; b2: number; eps: number; momentumDecay: number }): Transform {
  const { b1, b2, eps, momentumDecay } = o;
  return {
    slots: zeroSlots("exp_avg", "exp_avg_sq"),
    scalars: [{ name: "mu_product", initial: 1, range: [0, 1] }],
    update(u, state, _params, { step }) {
      const m = slot(state, "exp_avg");
      const v = slot(state, "exp_avg_sq");
      const bc2 = biasCorrection(b2, step);
      const mu = nadamMu(b1, momentumDecay, step);
      const muNext = nadamMu(b1, momentumDecay, step + 1);
      const muProduct = state.scalars.mu_product! * mu;
      state.scalars.mu_product = muProduct;
      const gradScale = (1 - mu) / (1 - muProduct);
      const avgScale = muNext / (1 - muProduct * muNext);
      for (let i = 0; i < u.length; i++) {
        const g = u[i]!;
        m[i] = b1 * m[i]! + (1 - b1) * g;
        v[i] = b2 * v[i]! + (1 - b2) * g * g;
        const denom = Math.sqrt(v[i]! / bc2) + eps;
        u[i] = (gradScale * g + avgScale * m[i]!) / denom;
      }
    },
  };
}

export const nadam = definePytorchRule<NadamHyper>({
  name: "nadam",
  reference: "torch.optim.NAdam (2.x formula)",
  spec: {
    lr: lrField(2e-3),
    betas: betasField(0.9, 0.999),
    eps: epsField(1e-8),
    momentum_decay: nonNegative(4e-3),
  },
  scale: (h) => scaleByNadam({ b1: h.betas[0], b2: h.betas[1], eps: h.eps, momentumDecay: h.momentum_decay }),
  fast: (h, { variant, p, g, slot, sgn, wd }) => {
    const f = variant("nadam");
    const { betas: [b1, b2], eps, momentum_decay: md } = h;
    const m = slot("exp_avg");
    const v = slot("exp_avg_sq");
    return (n, o, t, lr, scalars) => {
      const mu = nadamMu(b1, md, t);
      const muNext = nadamMu(b1, md, t + 1);
      const muProduct = scalars.mu_product! * mu;
      scalars.mu_product = muProduct;
      const gradScale = (-lr * (1 - mu)) / (1 - muProduct);
      const avgScale = (-lr * muNext) / (1 - muProduct * muNext);
      f(n, p + o, g + o, m + o, v + o, sgn, wd, b1, 1 - b1, b2, 1 - b2, 1 / biasCorrection(b2, t), eps, gradScale, avgScale);
    };
  },
});
