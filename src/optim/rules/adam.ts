import { gradientSign, wdSuffix, type FastPlan } from "../fast/plan";
import { betasField, epsField, flag, lrField, nonNegative, type HyperSpec } from "../hyper";
import { biasCorrection, definePytorchRule, defineRule } from "../rule";
import { slot } from "../state";
import { addDecoupledWeightDecay, chain, negate, scaleByLearningRate, type Transform } from "../transform";

export interface AdamHyper {
  [k: string]: number | boolean | readonly [number, number];
  lr: number;
  betas: readonly [number, number];
  eps: number;
  eps_root: number;
  weight_decay: number;
  amsgrad: boolean;
  bias_correction: boolean;
  initial_accumulator_value: number;
  maximize: boolean;
}

/**
 * `exp_avg = b1 * exp_avg + (1 - b1) * u`; `exp_avg_sq = b2 * exp_avg_sq + (1 - b2) * u²`;
 * AMSGrad keeps `max_exp_avg_sq = max(max_exp_avg_sq, exp_avg_sq)` and uses it in the root;
 * `u = (exp_avg / bc1) / (sqrt(v / bc2 + eps_root) + eps)` with `bc = 1 - b ** step`, or `bc = 1`
 * without bias correction. `exp_avg_sq` starts at `initial` (0 in PyTorch; tau² in FedAdam, Reddi et al. 2021).
 */
export function scaleByAdam(o: { b1: number; b2: number; eps: number; epsRoot: number; amsgrad: boolean; biasCorrected: boolean; initial: number }): Transform {
  const { b1, b2, eps, epsRoot, amsgrad, biasCorrected } = o;
  const slots = [
    { name: "exp_avg", initial: 0 },
    { name: "exp_avg_sq", initial: o.initial },
  ];
  if (amsgrad) slots.push({ name: "max_exp_avg_sq", initial: o.initial });
  return {
    slots,
    scalars: [],
    update(u, state, _params, { step }) {
      const m = slot(state, "exp_avg");
      const v = slot(state, "exp_avg_sq");
      const vmax = amsgrad ? slot(state, "max_exp_avg_sq") : v;
      const bc1 = biasCorrected ? biasCorrection(b1, step) : 1;
      const bc2 = biasCorrected ? biasCorrection(b2, step) : 1;
      for (let i = 0; i < u.length; i++) {
        const g = u[i]!;
        m[i] = b1 * m[i]! + (1 - b1) * g;
        v[i] = b2 * v[i]! + (1 - b2) * g * g;
        if (amsgrad) vmax[i] = Math.max(vmax[i]!, v[i]!);
        u[i] = m[i]! / bc1 / (Math.sqrt(vmax[i]! / bc2 + epsRoot) + eps);
      }
    },
  };
}

const adamSpec: HyperSpec = {
  lr: lrField(1e-3),
  betas: betasField(0.9, 0.999),
  eps: epsField(1e-8),
  eps_root: epsField(0),
  amsgrad: flag(),
  bias_correction: flag(true),
  initial_accumulator_value: nonNegative(0),
};

const scaleByAdamOf = (h: AdamHyper): Transform =>
  scaleByAdam({
    b1: h.betas[0],
    b2: h.betas[1],
    eps: h.eps,
    epsRoot: h.eps_root,
    amsgrad: h.amsgrad,
    biasCorrected: h.bias_correction,
    initial: h.initial_accumulator_value,
  });

/**
 * Adam's and AdamW's fast plan: AdamW (`decoupled`) decays the parameters (keep = 1 - lr * wd),
 * Adam folds wd into the gradient (its `_wd` variants).
 */
const fastAdam =
  (decoupled: boolean): FastPlan<AdamHyper> =>
  (h, { kernel, p, g, slot }) => {
    const sgn = gradientSign(h.maximize);
    const wd = h.weight_decay;
    const { betas: [b1, b2], eps, eps_root: epsRoot } = h;
    const root = epsRoot !== 0;
    const f = kernel(`adam${h.amsgrad ? "_ams" : ""}${root ? "_root" : ""}${decoupled ? "" : wdSuffix(wd)}`);
    const m = slot("exp_avg");
    const v = slot("exp_avg_sq");
    const vmax = slot("max_exp_avg_sq");
    const corrected = h.bias_correction;
    return (n, o, t, lr) => {
      const bc2 = corrected ? biasCorrection(b2, t) : 1;
      // Without eps_root PyTorch divides sqrt(v) by sqrt(bc2); with it, v by bc2 (optax).
      const scale = root ? 1 / bc2 : 1 / Math.sqrt(bc2);
      const step = -(lr / (corrected ? biasCorrection(b1, t) : 1));
      f(n, p + o, g + o, m + o, v + o, vmax + o, sgn, wd, b1, 1 - b1, b2, 1 - b2, scale, epsRoot, eps, step, decoupled ? 1 - lr * wd : 1);
    };
  };

export const adam = definePytorchRule<AdamHyper>({
  name: "adam",
  reference: "torch.optim.Adam",
  spec: adamSpec,
  scale: scaleByAdamOf,
  fast: fastAdam(false),
});

/** Adam with decoupled weight decay: `w -= lr * (adam_direction + weight_decay * w)`. */
export const adamw = defineRule<AdamHyper>({
  name: "adamw",
  reference: "torch.optim.AdamW",
  spec: { ...adamSpec, weight_decay: nonNegative(1e-2), maximize: flag() },
  transform: (h) =>
    chain(negate(h.maximize), scaleByAdamOf(h), addDecoupledWeightDecay(h.weight_decay), scaleByLearningRate),
  fast: fastAdam(true),
});
