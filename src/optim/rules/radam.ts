import { betasField, epsField, lrField } from "../hyper";
import { biasCorrection, definePytorchRule } from "../rule";
import { slot, zeroSlots } from "../state";
import type { Transform } from "../transform";

export interface RadamHyper {
  [k: string]: number | boolean | readonly [number, number];
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weight_decay: number;
  maximize: boolean;
}

/**
 * RAdam's rectification for update `step`, or 0 while the variance is not yet tractable
 * (`rho_t <= 5`, when the update is the bias-corrected momentum alone).
 */
export function radamRectification(b2: number, step: number): number {
  const rhoInf = 2 / (1 - b2) - 1;
  const rhoT = rhoInf - (2 * step * b2 ** step) / biasCorrection(b2, step);
  if (rhoT <= 5) return 0;
  return Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
}

/**
 * `m̂ = exp_avg / bc1`; when rectified `u = m̂ * rect * sqrt(bc2) / (sqrt(exp_avg_sq) + eps)`,
 * otherwise `u = m̂`.
 */
export function scaleByRadam(o: { b1: number; b2: number; eps: number }): Transform {
  const { b1, b2, eps } = o;
  return {
    slots: zeroSlots("exp_avg", "exp_avg_sq"),
    scalars: [],
    update(u, state, _params, { step }) {
      const m = slot(state, "exp_avg");
      const v = slot(state, "exp_avg_sq");
      const bc1 = biasCorrection(b1, step);
      const rect = radamRectification(b2, step);
      const adaptive = rect * Math.sqrt(biasCorrection(b2, step));
      for (let i = 0; i < u.length; i++) {
        const g = u[i]!;
        m[i] = b1 * m[i]! + (1 - b1) * g;
        v[i] = b2 * v[i]! + (1 - b2) * g * g;
        const corrected = m[i]! / bc1;
        u[i] = rect === 0 ? corrected : (corrected * adaptive) / (Math.sqrt(v[i]!) + eps);
      }
    },
  };
}

export const radam = definePytorchRule<RadamHyper>({
  name: "radam",
  reference: "torch.optim.RAdam",
  spec: {
    lr: lrField(1e-3),
    betas: betasField(0.9, 0.999),
    eps: epsField(1e-8),
  },
  scale: (h) => scaleByRadam({ b1: h.betas[0], b2: h.betas[1], eps: h.eps }),
  fast: (h, { variant, p, g, slot, sgn, wd }) => {
    const plain = variant("radam");
    const rectified = variant("radam_rect");
    const { betas: [b1, b2], eps } = h;
    const m = slot("exp_avg");
    const v = slot("exp_avg_sq");
    return (n, o, t, lr) => {
      const ibc1 = 1 / biasCorrection(b1, t);
      const rect = radamRectification(b2, t);
      const sbc2 = Math.sqrt(biasCorrection(b2, t));
      (rect === 0 ? plain : rectified)(n, p + o, g + o, m + o, v + o, sgn, wd, b1, 1 - b1, b2, 1 - b2, eps, ibc1, lr, sbc2, rect);
    };
  },
});
