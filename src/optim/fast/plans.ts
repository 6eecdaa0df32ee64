import type { Hyper } from "../hyper";
import { biasCorrection } from "../rule";
import type { RuleName } from "../rules";
import { nadamMu } from "../rules/nadam";
import { radamRectification } from "../rules/radam";
import { ruleKernel, type KernelExports, type RuleKernel } from "./abi";

/**
 * One update of a rule on the fast path: elements [o/4, o/4 + n) of every vector, `o` being a byte
 * offset added to each region's address; `t` is the 1-based update number. Computes the per-step
 * scalars in f64 with the reference's helpers (bias corrections, NAdam's mu, RAdam's rectification)
 * in the form PyTorch passes them to its tensor ops, updates `scalars` in place exactly like the
 * reference, and calls the specialised kernel.
 */
export type FastStep = (n: number, o: number, t: number, lr: number, scalars: Record<string, number>) => void;

/** Byte addresses of the engine's regions: params, gradient and one per slot name. */
export type Addresses = Readonly<Record<string, number>>;

const num = (h: Hyper, k: string): number => h[k] as number;
const bool = (h: Hyper, k: string): boolean => h[k] === true;
const pair = (h: Hyper, k: string): readonly [number, number] => h[k] as unknown as readonly [number, number];

/** `_wd` when L2 weight decay is folded into the gradient. */
const wdSuffix = (wd: number): string => (wd !== 0 ? "_wd" : "");

function kernel(k: KernelExports, name: string): RuleKernel {
  return ruleKernel(k, name);
}

/** Picks the kernel variants for `rule` with `hyper` once, and returns the per-step call. */
export function planRule(rule: RuleName, hyper: Hyper, k: KernelExports, at: Addresses): FastStep {
  const p = at.params!;
  const g = at.gradient!;
  const slot = (name: string): number => at[name] ?? 0; // 0: a slot the chosen variant never touches
  const sgn = bool(hyper, "maximize") ? -1 : 1;
  const wd = num(hyper, "weight_decay");

  switch (rule) {
    case "sgd": {
      const mu = num(hyper, "momentum");
      const ema = bool(hyper, "ema_momentum");
      const nesterov = bool(hyper, "nesterov") ? "_nesterov" : "";
      const keep = ema ? 1 - mu : 1 - num(hyper, "dampening");
      const look = ema ? 1 - mu : 1;
      const buf = slot("momentum_buffer");
      if (mu === 0) {
        const f = kernel(k, `sgd${wdSuffix(wd)}`);
        return (n, o, _t, lr) => f(n, p + o, g + o, 0, sgn, wd, -lr, 0, 1, 1);
      }
      const first = kernel(k, `sgd_first${nesterov}${wdSuffix(wd)}`);
      const later = kernel(k, `sgd_momentum${nesterov}${wdSuffix(wd)}`);
      return (n, o, t, lr) => (t === 1 && !ema ? first : later)(n, p + o, g + o, buf + o, sgn, wd, -lr, mu, keep, look);
    }
    case "adagrad": {
      const f = kernel(k, `adagrad${wdSuffix(wd)}`);
      const lrDecay = num(hyper, "lr_decay");
      const eps = num(hyper, "eps");
      const epsRoot = num(hyper, "eps_root");
      const sum = slot("sum");
      // PyTorch: clr = lr / (1 + (step - 1) * lr_decay); param.addcdiv_(u, std, value=-clr).
      return (n, o, t, lr) => f(n, p + o, g + o, sum + o, sgn, wd, -(lr / (1 + (t - 1) * lrDecay)), epsRoot, eps);
    }
    case "rmsprop": {
      const alpha = num(hyper, "alpha");
      const mu = num(hyper, "momentum");
      const eps = num(hyper, "eps");
      const epsRoot = num(hyper, "eps_root");
      const base = `rmsprop${bool(hyper, "centered") ? "_centered" : ""}`;
      const sq = slot("square_avg");
      const avg = slot("grad_avg");
      const buf = slot("momentum_buffer");
      const plain = kernel(k, `${base}${wdSuffix(wd)}`);
      const first = mu === 0 ? plain : kernel(k, `${base}_first${wdSuffix(wd)}`);
      const later = mu === 0 ? plain : kernel(k, `${base}_momentum${wdSuffix(wd)}`);
      return (n, o, t, lr) =>
        (t === 1 ? first : later)(n, p + o, g + o, sq + o, avg + o, buf + o, sgn, wd, -lr, alpha, 1 - alpha, epsRoot, eps, mu);
    }
    case "adadelta": {
      const f = kernel(k, `adadelta${wdSuffix(wd)}`);
      const rho = num(hyper, "rho");
      const eps = num(hyper, "eps");
      const sq = slot("square_avg");
      const acc = slot("acc_delta");
      return (n, o, _t, lr) => f(n, p + o, g + o, sq + o, acc + o, sgn, wd, -lr, rho, 1 - rho, eps);
    }
    case "adam":
    case "adamw": {
      const decoupled = rule === "adamw";
      const [b1, b2] = pair(hyper, "betas");
      const eps = num(hyper, "eps");
      const epsRoot = num(hyper, "eps_root");
      const root = epsRoot !== 0;
      // AdamW decays the parameters (keep = 1 - lr * wd), Adam folds wd into the gradient.
      const f = kernel(k, `adam${bool(hyper, "amsgrad") ? "_ams" : ""}${root ? "_root" : ""}${decoupled ? "" : wdSuffix(wd)}`);
      const m = slot("exp_avg");
      const v = slot("exp_avg_sq");
      const vmax = slot("max_exp_avg_sq");
      const corrected = bool(hyper, "bias_correction");
      return (n, o, t, lr) => {
        const bc2 = corrected ? biasCorrection(b2, t) : 1;
        // Without eps_root PyTorch divides sqrt(v) by sqrt(bc2); with it, v by bc2 (optax).
        const scale = root ? 1 / bc2 : 1 / Math.sqrt(bc2);
        const step = -(lr / (corrected ? biasCorrection(b1, t) : 1));
        f(n, p + o, g + o, m + o, v + o, vmax + o, sgn, wd, b1, 1 - b1, b2, 1 - b2, scale, epsRoot, eps, step, decoupled ? 1 - lr * wd : 1);
      };
    }
    case "adamax": {
      const f = kernel(k, `adamax${wdSuffix(wd)}`);
      const [b1, b2] = pair(hyper, "betas");
      const eps = num(hyper, "eps");
      const m = slot("exp_avg");
      const inf = slot("exp_inf");
      return (n, o, t, lr) => f(n, p + o, g + o, m + o, inf + o, sgn, wd, b1, 1 - b1, b2, eps, -(lr / biasCorrection(b1, t)));
    }
    case "nadam": {
      const f = kernel(k, `nadam${wdSuffix(wd)}`);
      const [b1, b2] = pair(hyper, "betas");
      const eps = num(hyper, "eps");
      const md = num(hyper, "momentum_decay");
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
    }
    case "radam": {
      const plain = kernel(k, `radam${wdSuffix(wd)}`);
      const rectified = kernel(k, `radam_rect${wdSuffix(wd)}`);
      const [b1, b2] = pair(hyper, "betas");
      const eps = num(hyper, "eps");
      const m = slot("exp_avg");
      const v = slot("exp_avg_sq");
      return (n, o, t, lr) => {
        const ibc1 = 1 / biasCorrection(b1, t);
        const rect = radamRectification(b2, t);
        const sbc2 = Math.sqrt(biasCorrection(b2, t));
        (rect === 0 ? plain : rectified)(n, p + o, g + o, m + o, v + o, sgn, wd, b1, 1 - b1, b2, 1 - b2, eps, ibc1, lr, sbc2, rect);
      };
    }
    case "yogi": {
      const f = kernel(k, `yogi${wdSuffix(wd)}`);
      const [b1, b2] = pair(hyper, "betas");
      const eps = num(hyper, "eps");
      const epsRoot = num(hyper, "eps_root");
      const m = slot("exp_avg");
      const v = slot("exp_avg_sq");
      return (n, o, _t, lr) => f(n, p + o, g + o, m + o, v + o, sgn, wd, b1, 1 - b1, 1 - b2, epsRoot, eps, -lr);
    }
    default: {
      const unknown: never = rule;
      throw new Error(`no fast kernel for rule '${String(unknown)}'`);
    }
  }
}
