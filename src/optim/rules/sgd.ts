import { flag, lrField, nonNegative, requireThat, type FieldSpec } from "../hyper";
import { biasCorrection, definePytorchRule } from "../rule";
import { trace, velocity } from "../transform";

export interface SgdHyper {
  [k: string]: number | boolean | string;
  lr: number;
  momentum: number;
  dampening: number;
  weight_decay: number;
  nesterov: boolean;
  maximize: boolean;
  ema_momentum: boolean;
  bias_correction: boolean;
  momentum_form: "pytorch" | "velocity";
}

const momentumForm: FieldSpec = { kind: "choice", default: "pytorch", choices: ["pytorch", "velocity"] };

/** The notes' look-ahead Nesterov: the velocity form whose gradients are taken at `x + μ · v`. */
const looksAhead = (h: SgdHyper) => h.momentum_form === "velocity" && h.nesterov;

function check(h: SgdHyper): void {
  requireThat(!h.nesterov || h.momentum > 0, "sgd", "nesterov", "nesterov momentum requires momentum > 0");
  if (h.momentum_form === "velocity") {
    requireThat(h.dampening === 0, "sgd", "dampening", "momentum_form 'velocity' (v = momentum · v − lr · g) has no dampening: set dampening to 0, or use momentum_form 'pytorch'");
    requireThat(!h.ema_momentum, "sgd", "ema_momentum", "ema_momentum averages PyTorch's buffer; momentum_form 'velocity' keeps the learning rate inside the velocity instead: choose one");
    requireThat(
      !looksAhead(h) || h.weight_decay === 0,
      "sgd",
      "weight_decay",
      "the look-ahead Nesterov (momentum_form 'velocity' with nesterov) takes the gradient at x + momentum · v, where weight decay's term is weight_decay · (x + momentum · v): add it to the gradient computed at the point and set weight_decay to 0",
    );
  }
  requireThat(!h.nesterov || h.ema_momentum || h.momentum_form === "velocity" || h.dampening === 0, "sgd", "nesterov", "nesterov momentum requires dampening = 0");
  requireThat(!h.ema_momentum || h.momentum < 1, "sgd", "momentum", "ema_momentum requires momentum < 1");
  requireThat(!h.bias_correction || h.ema_momentum, "sgd", "bias_correction", "bias_correction divides the exponential average by 1 − momentum^t: it requires ema_momentum: true");
  requireThat(!h.bias_correction || !h.nesterov, "sgd", "bias_correction", "bias_correction is defined for the exponential average without nesterov: set nesterov to false");
}

export const sgd = definePytorchRule<SgdHyper>({
  name: "sgd",
  reference: "torch.optim.SGD",
  spec: {
    lr: lrField(1e-3),
    momentum: nonNegative(0),
    dampening: nonNegative(0),
    nesterov: flag(),
    ema_momentum: flag(),
    bias_correction: flag(),
    momentum_form: momentumForm,
  },
  check,
  scale: (h) =>
    h.momentum_form === "velocity"
      ? velocity(h.momentum)
      : trace({ momentum: h.momentum, dampening: h.dampening, nesterov: h.nesterov, ema: h.ema_momentum, biasCorrection: h.bias_correction }),
  scalesByLearningRate: (h) => h.momentum_form === "velocity",
  point: (h) => (looksAhead(h) ? { slot: "velocity", scale: () => h.momentum } : undefined),
  fast: (h, { variant, p, g, slot, sgn, wd }) => {
    const mu = h.momentum;
    if (h.momentum_form === "velocity") {
      const f = variant("sgd_velocity");
      const v = slot("velocity");
      return (n, o, _t, lr) => f(n, p + o, g + o, v + o, sgn, wd, -lr, mu, 1, 1);
    }
    const ema = h.ema_momentum;
    const nesterov = h.nesterov ? "_nesterov" : "";
    const keep = ema ? 1 - mu : 1 - h.dampening;
    const look = ema ? 1 - mu : 1;
    const buf = slot("momentum_buffer");
    if (mu === 0) {
      const f = variant("sgd");
      return (n, o, _t, lr) => f(n, p + o, g + o, 0, sgn, wd, -lr, 0, 1, 1);
    }
    const first = variant(`sgd_first${nesterov}`);
    const later = variant(`sgd_momentum${nesterov}`);
    // Bias correction multiplies by the step's reciprocal: -lr / (1 - mu^t) in f64, rounded once.
    const corrected = (lr: number, t: number) => (h.bias_correction ? -lr / biasCorrection(mu, t) : -lr);
    return (n, o, t, lr) => (t === 1 && !ema ? first : later)(n, p + o, g + o, buf + o, sgn, wd, corrected(lr, t), mu, keep, look);
  },
});
