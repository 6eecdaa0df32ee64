import { flag, lrField, nonNegative, requireThat } from "../hyper";
import { defineRule } from "../rule";
import { addWeightDecay, chain, negate, scaleByLearningRate, trace } from "../transform";

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

export const sgd = defineRule<SgdHyper>({
  name: "sgd",
  reference: "torch.optim.SGD",
  spec: {
    lr: lrField(1e-3),
    momentum: nonNegative(0),
    dampening: nonNegative(0),
    weight_decay: nonNegative(0),
    nesterov: flag(),
    maximize: flag(),
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
  transform: (h) =>
    chain(
      negate(h.maximize),
      addWeightDecay(h.weight_decay),
      trace({ momentum: h.momentum, dampening: h.dampening, nesterov: h.nesterov, ema: h.ema_momentum }),
      scaleByLearningRate,
    ),
});
