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
});
