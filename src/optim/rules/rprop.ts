import { gradientSign } from "../fast/plan";
import { flag, lrField, requireThat, type HyperSpec } from "../hyper";
import { defineRule } from "../rule";
import { slot } from "../state";
import { chain, negate, type Transform } from "../transform";

export interface RpropHyper {
  [k: string]: number | boolean | readonly [number, number];
  lr: number;
  etas: readonly [number, number];
  step_sizes: readonly [number, number];
  maximize: boolean;
}

/**
 * torch.optim.Rprop (1.13): per element, `s = sign(u * prev)` (the float32 product);
 * `step_size = clamp(step_size * (etaplus if s > 0, etaminus if s < 0, else 1), min, max)`;
 * where `s < 0` the gradient is taken as 0; `u = -sign(u) * step_size`; `prev = u's gradient`.
 * `step_size` starts at `initial` (PyTorch fills it with the learning rate when the state is made).
 * The result is already the delta: the learning rate plays no further part.
 */
export function rpropUpdate(o: { etaminus: number; etaplus: number; min: number; max: number; initial: number }): Transform {
  const etaminus = Math.fround(o.etaminus);
  const etaplus = Math.fround(o.etaplus);
  const min = Math.fround(o.min);
  const max = Math.fround(o.max);
  return {
    slots: [
      { name: "prev", initial: 0 },
      { name: "step_size", initial: o.initial },
    ],
    scalars: [],
    update(u, state) {
      const prev = slot(state, "prev");
      const size = slot(state, "step_size");
      for (let i = 0; i < u.length; i++) {
        const g = u[i]!;
        const product = Math.fround(g * prev[i]!);
        const factor = product > 0 ? etaplus : product < 0 ? etaminus : 1;
        const s = Math.min(Math.max(Math.fround(size[i]! * factor), min), max);
        size[i] = s;
        const kept = product < 0 ? 0 : g;
        prev[i] = kept;
        u[i] = -Math.sign(kept) * s;
      }
    },
  };
}

const spec: HyperSpec = {
  lr: lrField(1e-2),
  etas: { kind: "pair", default: [0.5, 1.2], above: 0 },
  step_sizes: { kind: "pair", default: [1e-6, 50], min: 0 },
  maximize: flag(),
};

export const rprop = defineRule<RpropHyper>({
  name: "rprop",
  reference: "torch.optim.Rprop",
  spec,
  check(h) {
    const [etaminus, etaplus] = h.etas;
    requireThat(etaminus < 1 && etaplus > 1, "rprop", "etas", `'etas' must be [etaminus, etaplus] with 0 < etaminus < 1 < etaplus, got [${etaminus}, ${etaplus}]`);
    const [min, max] = h.step_sizes;
    requireThat(min <= max, "rprop", "step_sizes", `'step_sizes' must be [min, max] with min <= max, got [${min}, ${max}]`);
  },
  transform: (h) =>
    chain(
      negate(h.maximize),
      rpropUpdate({ etaminus: h.etas[0], etaplus: h.etas[1], min: h.step_sizes[0], max: h.step_sizes[1], initial: h.lr }),
    ),
  fast: (h, { kernel, p, g, slot }) => {
    const f = kernel("rprop");
    const sgn = gradientSign(h.maximize);
    const [etaminus, etaplus] = h.etas;
    const [min, max] = h.step_sizes;
    const prev = slot("prev");
    const size = slot("step_size");
    return (n, o) => f(n, p + o, g + o, prev + o, size + o, sgn, etaminus, etaplus, min, max);
  },
});
