import { epsField, lrField, nonNegative } from "../hyper";
import { definePytorchRule } from "../rule";
import { slot } from "../state";
import type { Transform } from "../transform";

export interface AdagradHyper {
  [k: string]: number | boolean;
  lr: number;
  lr_decay: number;
  weight_decay: number;
  initial_accumulator_value: number;
  eps: number;
  eps_root: number;
  maximize: boolean;
}

/** `sum += u²; u = u / ((sqrt(sum + eps_root) + eps) * (1 + (step - 1) * lr_decay))`. */
export function scaleByAdagrad(o: { lrDecay: number; initial: number; eps: number; epsRoot: number }): Transform {
  return {
    slots: [{ name: "sum", initial: o.initial }],
    scalars: [],
    update(u, state, _params, { step }) {
      const sum = slot(state, "sum");
      const decay = 1 / (1 + (step - 1) * o.lrDecay);
      for (let i = 0; i < u.length; i++) {
        const g = u[i]!;
        sum[i] = sum[i]! + g * g;
        u[i] = (decay * g) / (Math.sqrt(sum[i]! + o.epsRoot) + o.eps);
      }
    },
  };
}

export const adagrad = definePytorchRule<AdagradHyper>({
  name: "adagrad",
  reference: "torch.optim.Adagrad",
  spec: {
    lr: lrField(1e-2),
    lr_decay: nonNegative(0),
    initial_accumulator_value: nonNegative(0),
    eps: epsField(1e-10),
    eps_root: epsField(0),
  },
  scale: (h) => scaleByAdagrad({ lrDecay: h.lr_decay, initial: h.initial_accumulator_value, eps: h.eps, epsRoot: h.eps_root }),
  fast: (h, { variant, p, g, slot, sgn, wd }) => {
    const f = variant("adagrad");
    const { lr_decay: lrDecay, eps, eps_root: epsRoot } = h;
    const sum = slot("sum");
    // PyTorch: clr = lr / (1 + (step - 1) * lr_decay); param.addcdiv_(u, std, value=-clr).
    return (n, o, t, lr) => f(n, p + o, g + o, sum + o, sgn, wd, -(lr / (1 + (t - 1) * lrDecay)), epsRoot, eps);
  },
});
