import { epsField, flag, lrField, nonNegative } from "../hyper";
import { definePytorchRule } from "../rule";
import { slot } from "../state";
import { chain, trace, type Transform } from "../transform";

export interface RmspropHyper {
  [k: string]: number | boolean;
  lr: number;
  alpha: number;
  eps: number;
  eps_root: number;
  weight_decay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

/**
 * `square_avg = alpha * square_avg + (1 - alpha) * u²`; centered also keeps
 * `grad_avg = alpha * grad_avg + (1 - alpha) * u` and subtracts its square;
 * `u = u / (sqrt(square_avg [- grad_avg²] + eps_root) + eps)`.
 */
export function scaleByRms(o: { alpha: number; eps: number; epsRoot: number; centered: boolean }): Transform {
  const { alpha, eps, epsRoot, centered } = o;
  return {
    slots: centered ? [{ name: "square_avg", initial: 0 }, { name: "grad_avg", initial: 0 }] : [{ name: "square_avg", initial: 0 }],
    scalars: [],
    update(u, state) {
      const sq = slot(state, "square_avg");
      const avg = centered ? slot(state, "grad_avg") : sq;
      for (let i = 0; i < u.length; i++) {
        const g = u[i]!;
        sq[i] = alpha * sq[i]! + (1 - alpha) * g * g;
        let v = sq[i]!;
        if (centered) {
          avg[i] = alpha * avg[i]! + (1 - alpha) * g;
          v -= avg[i]! * avg[i]!;
        }
        u[i] = g / (Math.sqrt(v + epsRoot) + eps);
      }
    },
  };
}

export const rmsprop = definePytorchRule<RmspropHyper>({
  name: "rmsprop",
  reference: "torch.optim.RMSprop",
  spec: {
    lr: lrField(1e-2),
    alpha: nonNegative(0.99),
    eps: epsField(1e-8),
    eps_root: epsField(0),
    momentum: nonNegative(0),
    centered: flag(),
  },
  scale: (h) => chain(scaleByRms({ alpha: h.alpha, eps: h.eps, epsRoot: h.eps_root, centered: h.centered }), trace({ momentum: h.momentum, dampening: 0, nesterov: false, ema: false })),
  fast: (h, { variant, p, g, slot, sgn, wd }) => {
    const { alpha, momentum: mu, eps, eps_root: epsRoot } = h;
    const base = `rmsprop${h.centered ? "_centered" : ""}`;
    const sq = slot("square_avg");
    const avg = slot("grad_avg");
    const buf = slot("momentum_buffer");
    const plain = variant(base);
    const first = mu === 0 ? plain : variant(`${base}_first`);
    const later = mu === 0 ? plain : variant(`${base}_momentum`);
    return (n, o, t, lr) =>
      (t === 1 ? first : later)(n, p + o, g + o, sq + o, avg + o, buf + o, sgn, wd, -lr, alpha, 1 - alpha, epsRoot, eps, mu);
  },
});
