import { epsField, lrField } from "../hyper";
import { definePytorchRule } from "../rule";
import { slot, zeroSlots } from "../state";
import type { Transform } from "../transform";

export interface AdadeltaHyper {
  [k: string]: number | boolean;
  lr: number;
  rho: number;
  eps: number;
  weight_decay: number;
  maximize: boolean;
}

/**
 * `square_avg = rho * square_avg + (1 - rho) * u²`;
 * `delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * u`;
 * `acc_delta = rho * acc_delta + (1 - rho) * delta²`; `u = delta`. Eps is inside both roots.
 */
export function scaleByAdadelta(o: { rho: number; eps: number }): Transform {
  const { rho, eps } = o;
  return {
    slots: zeroSlots("square_avg", "acc_delta"),
    scalars: [],
    update(u, state) {
      const sq = slot(state, "square_avg");
      const acc = slot(state, "acc_delta");
      for (let i = 0; i < u.length; i++) {
        const g = u[i]!;
        sq[i] = rho * sq[i]! + (1 - rho) * g * g;
        const delta = Math.fround((Math.sqrt(acc[i]! + eps) / Math.sqrt(sq[i]! + eps)) * g);
        acc[i] = rho * acc[i]! + (1 - rho) * delta * delta;
        u[i] = delta;
      }
    },
  };
}

export const adadelta = definePytorchRule<AdadeltaHyper>({
  name: "adadelta",
  reference: "torch.optim.Adadelta",
  spec: {
    lr: lrField(1.0),
    rho: { kind: "number", default: 0.9, min: 0, max: 1 },
    eps: epsField(1e-6),
  },
  scale: (h) => scaleByAdadelta({ rho: h.rho, eps: h.eps }),
  fast: (h, { variant, p, g, slot, sgn, wd }) => {
    const f = variant("adadelta");
    const { rho, eps } = h;
    const sq = slot("square_avg");
    const acc = slot("acc_delta");
    return (n, o, _t, lr) => f(n, p + o, g + o, sq + o, acc + o, sgn, wd, -lr, rho, 1 - rho, eps);
  },
});
