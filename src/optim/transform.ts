import { slot, type OptimizerState, type ScalarSpec, type SlotSpec } from "./state";

/** What a transform may know about the update being computed. */
export interface StepContext {
  /** 1-based number of this update (PyTorch's `state["step"]` after its increment). */
  readonly step: number;
  /** The learning rate in force for this update (the schedule's value, not the base lr). */
  readonly lr: number;
}

/**
 * One stage of an optimizer, in the shape of optax's GradientTransformation: it turns `u`
 * (the gradient when the chain starts) into the update in place, reading and writing only its
 * own slots and scalars of `state`. The last stage leaves the exact delta to add to `params`.
 */
export interface Transform {
  readonly slots: readonly SlotSpec[];
  readonly scalars: readonly ScalarSpec[];
  update(u: Float32Array, state: OptimizerState, params: Float32Array, ctx: StepContext): void;
}

export const identity: Transform = { slots: [], scalars: [], update() {} };

export function chain(...stages: Transform[]): Transform {
  const slots = stages.flatMap((s) => s.slots);
  const scalars = stages.flatMap((s) => s.scalars);
  const names = [...slots, ...scalars].map((s) => s.name);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated) throw new Error(`two stages of one chain both own state '${repeated}'`);
  return {
    slots,
    scalars,
    update(u, state, params, ctx) {
      for (const stage of stages) stage.update(u, state, params, ctx);
    },
  };
}

/** Adds the update to the parameters: the one place parameters change. */
export function applyUpdate(params: Float32Array, u: Float32Array): void {
  for (let i = 0; i < params.length; i++) params[i] = params[i]! + u[i]!;
}

/** `u = -u`: PyTorch's `maximize`. */
export function negate(enabled: boolean): Transform {
  if (!enabled) return identity;
  return {
    slots: [],
    scalars: [],
    update(u) {
      for (let i = 0; i < u.length; i++) u[i] = -u[i]!;
    },
  };
}

/**
 * `u += weight_decay * params`: L2 regularisation folded into the gradient (PyTorch's weight_decay).
 * The product is rounded to float32 before the sum, as PyTorch computes it: where the gradient and
 * the decay nearly cancel, every later stage then starts from the same bits.
 */
export function addWeightDecay(weightDecay: number): Transform {
  if (weightDecay === 0) return identity;
  const wd = Math.fround(weightDecay);
  return {
    slots: [],
    scalars: [],
    update(u, _state, params) {
      for (let i = 0; i < u.length; i++) u[i] = u[i]! + Math.fround(wd * params[i]!);
    },
  };
}

/**
 * AdamW's decoupled decay, placed after the adaptive scaling and before the learning rate:
 * `params -= lr * (u + weight_decay * params)`, which is PyTorch's `params *= 1 - lr * wd` first.
 */
export const addDecoupledWeightDecay = addWeightDecay;

/** `u *= -lr`: the last stage of every rule. */
export const scaleByLearningRate: Transform = {
  slots: [],
  scalars: [],
  update(u, _state, _params, { lr }) {
    for (let i = 0; i < u.length; i++) u[i] = -lr * u[i]!;
  },
};

/**
 * Momentum, as PyTorch's SGD keeps it: on the first update `buf = u`, then
 * `buf = momentum * buf + (1 - dampening) * u`; Nesterov looks ahead with `u + momentum * buf`.
 * With `ema` it is the classic notes' exponential average instead: `buf` starts at zero and every
 * update, the first included, is `buf = momentum * buf + (1 - momentum) * u`; Nesterov then uses
 * `momentum * buf + (1 - momentum) * u`. `biasCorrection` (EMA without Nesterov) divides the
 * average by `1 - momentum^t`, as Adam corrects its first moment.
 */
export function trace(opts: {
  momentum: number;
  dampening: number;
  nesterov: boolean;
  ema: boolean;
  biasCorrection?: boolean;
  name?: string;
}): Transform {
  const { momentum, nesterov, ema } = opts;
  const name = opts.name ?? "momentum_buffer";
  if (momentum === 0) return identity;
  const keep = ema ? 1 - momentum : 1 - opts.dampening;
  const look = ema ? 1 - momentum : 1;
  return {
    slots: [{ name, initial: 0 }],
    scalars: [],
    update(u, state, _params, { step }) {
      const buf = slot(state, name);
      const first = step === 1 && !ema;
      const correction = opts.biasCorrection ? 1 - momentum ** step : 1;
      for (let i = 0; i < u.length; i++) {
        const g = u[i]!;
        const b = first ? g : momentum * buf[i]! + keep * g;
        buf[i] = b;
        u[i] = nesterov ? look * g + momentum * buf[i]! : buf[i]! / correction;
      }
    },
  };
}

/**
 * The classic notes' velocity, which keeps the learning rate inside: `v = momentum * v - lr * u`
 * (v starts at zero) and the update is `v` itself (`params += v`). It ends the chain: no
 * `scaleByLearningRate` follows. Unlike PyTorch's buffer, a change of lr scales only new gradients.
 */
export function velocity(momentum: number, name = "velocity"): Transform {
  return {
    slots: [{ name, initial: 0 }],
    scalars: [],
    update(u, state, _params, { lr }) {
      const v = slot(state, name);
      for (let i = 0; i < u.length; i++) {
        v[i] = momentum * v[i]! - lr * u[i]!;
        u[i] = v[i]!;
      }
    },
  };
}
