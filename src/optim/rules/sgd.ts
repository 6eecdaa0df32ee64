import { flag, lrField, nonNegative, requireThat } from "../hyper";
import { definePytorchRule } from "../rule";
import { trace } from "../transform";

export interface SgdHyper {
  [k: string]: number | boolean;
  lr: number;
  momentum: number;
  dampening: number;
  weight_decay: number;
  nesterov: boolean;
  maximize: boolean;
  ema_momentum: boolean;
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
  },
  check(h) {
    requireThat(!h.nesterov || h.momentum > 0, "sgd", "nesterov", "nesterov momentum requires momentum > 0");
    requireThat(
      !h.nesterov || h.ema_momentum || h.dampening === 0,
      "sgd",
      "nesterov",
      "nesterov momentum requires dampening = 0",
    );
    requireThat(!h.ema_momentum || h.momentum < 1, "sgd", "momentum", "ema_momentum requires momentum < 1");
  },
  scale: (h) => trace({ momentum: h.momentum, dampening: h.dampening, nesterov: h.nesterov, ema: h.ema_momentum }),
  fast: (h, { variant, p, g, slot, sgn, wd }) => {
    const mu = h.momentum;
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
    return (n, o, t, lr) => (t === 1 && !ema ? first : later)(n, p + o, g + o, buf + o, sgn, wd, -lr, mu, keep, look);
  },
});
