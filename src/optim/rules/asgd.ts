import { gradientSign, wdSuffix } from "../fast/plan";
import { flag, lrField, nonNegative, type HyperSpec } from "../hyper";
import { defineRule } from "../rule";
import { slot } from "../state";
import { addWeightDecay, chain, negate, type Transform } from "../transform";

export interface AsgdHyper {
  [k: string]: number | boolean;
  lr: number;
  lambd: number;
  alpha: number;
  t0: number;
  weight_decay: number;
  maximize: boolean;
}

/** ASGD's step size after update `step`: `lr / (1 + lambd * lr * step) ** alpha`, a float32 as PyTorch keeps it. */
export const asgdEta = (lr: number, lambd: number, alpha: number, step: number): number =>
  Math.fround(lr / (1 + lambd * lr * step) ** alpha);

/** ASGD's averaging weight after update `step`: `1 / max(1, step - t0)`, a float32. */
export const asgdMu = (t0: number, step: number): number => Math.fround(1 / Math.max(1, step - t0));

/**
 * torch.optim.ASGD (1.13), in its float32 operations: `p = p * (1 - lambd * eta)`;
 * `p = p - eta * u`; `ax = p` while `mu = 1`, else `ax = ax + (p - ax) * mu`; then
 * `eta = lr / (1 + lambd * lr * step) ** alpha` and `mu = 1 / max(1, step - t0)` for the next update.
 * `eta` starts at `lr`, `mu` at 1. Leaves in `u` the delta that takes `params` to the new `p`, and
 * averages the value the parameters will then hold.
 */
export function asgdUpdate(o: { lambd: number; alpha: number; t0: number; lr: number }): Transform {
  const { lambd, alpha, t0 } = o;
  return {
    slots: [{ name: "ax", initial: 0 }],
    scalars: [
      { name: "eta", initial: Math.fround(o.lr) },
      { name: "mu", initial: 1 },
    ],
    update(u, state, params, { step, lr }) {
      const ax = slot(state, "ax");
      const eta = state.scalars.eta!;
      const mu = state.scalars.mu!;
      const keep = Math.fround(1 - lambd * eta);
      const rate = Math.fround(-eta);
      for (let i = 0; i < u.length; i++) {
        const p = params[i]!;
        const next = Math.fround(Math.fround(p * keep) + Math.fround(rate * u[i]!));
        // `next === p` also keeps an infinite weight that stays infinite (next - p would be NaN).
        const delta = next === p ? 0 : Math.fround(next - p);
        u[i] = delta;
        const stored = Math.fround(p + delta);
        ax[i] = mu === 1 ? stored : Math.fround(ax[i]! + Math.fround(Math.fround(stored - ax[i]!) * mu));
      }
      state.scalars.eta = asgdEta(lr, lambd, alpha, step);
      state.scalars.mu = asgdMu(t0, step);
    },
  };
}

const spec: HyperSpec = {
  lr: lrField(1e-2),
  lambd: nonNegative(1e-4),
  alpha: nonNegative(0.75),
  t0: nonNegative(1e6),
  weight_decay: nonNegative(0),
  maximize: flag(),
};

export const asgd = defineRule<AsgdHyper>({
  name: "asgd",
  reference: "torch.optim.ASGD",
  spec,
  averages: ["ax"],
  transform: (h) =>
    chain(negate(h.maximize), addWeightDecay(h.weight_decay), asgdUpdate({ lambd: h.lambd, alpha: h.alpha, t0: h.t0, lr: h.lr })),
  fast: (h, { kernel, p, g, slot }) => {
    const { lambd, alpha, t0, weight_decay: wd } = h;
    const copy = kernel(`asgd${wdSuffix(wd)}`);
    const average = kernel(`asgd_avg${wdSuffix(wd)}`);
    const sgn = gradientSign(h.maximize);
    const ax = slot("ax");
    return (n, o, t, lr, scalars) => {
      const eta = scalars.eta!;
      const mu = scalars.mu!;
      (mu === 1 ? copy : average)(n, p + o, g + o, ax + o, sgn, wd, 1 - lambd * eta, -eta, mu);
      scalars.eta = asgdEta(lr, lambd, alpha, t);
      scalars.mu = asgdMu(t0, t);
    };
  },
});
