import { describe, expect, it } from "vitest";
import { getRule, HyperparameterError, ruleNames, type FieldSpec } from "../../src/optim";

// PyTorch's defaults, written out independently of the rule definitions.
const torchDefaults: Record<string, Record<string, unknown>> = {
  sgd: { lr: 1e-3, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false, maximize: false },
  adagrad: { lr: 1e-2, lr_decay: 0, weight_decay: 0, initial_accumulator_value: 0, eps: 1e-10, maximize: false },
  rmsprop: { lr: 1e-2, alpha: 0.99, eps: 1e-8, weight_decay: 0, momentum: 0, centered: false, maximize: false },
  adadelta: { lr: 1.0, rho: 0.9, eps: 1e-6, weight_decay: 0, maximize: false },
  adam: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false },
  adamw: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 1e-2, amsgrad: false, maximize: false },
  adamax: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, maximize: false },
  nadam: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, momentum_decay: 4e-3 },
  radam: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0 },
  yogi: { lr: 1e-2, betas: [0.9, 0.999], eps: 1e-3, initial_accumulator_value: 1e-6 },
  rprop: { lr: 1e-2, etas: [0.5, 1.2], step_sizes: [1e-6, 50], maximize: false },
  asgd: { lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weight_decay: 0, maximize: false },
  // Not in torch 1.13: the paper's (Lion) and the plain method's with SGD's PyTorch-shaped switches.
  lion: { lr: 1e-4, betas: [0.9, 0.99], weight_decay: 0, maximize: false },
  normalized: { lr: 1e-3, eps: 1e-8, momentum: 0, weight_decay: 0, maximize: false },
  // torch 2.5's names; eps1 the paper's 1e-30 (torch 2.5 defaults it to float32's machine epsilon).
  adafactor: { lr: 1e-2, beta2_decay: -0.8, eps: [1e-30, 1e-3], d: 1, weight_decay: 0, maximize: false, shape: [] },
};

function badValue(spec: FieldSpec): unknown {
  switch (spec.kind) {
    case "number":
      return spec.min !== undefined ? spec.min - 1 : spec.above !== undefined ? spec.above : "x";
    case "boolean":
      return "yes";
    case "pair":
      return spec.below !== undefined ? [0.5, spec.below] : spec.min !== undefined ? [spec.min - 1, 1] : [spec.above ?? 0, 1];
    case "choice":
      return "nope";
    case "numbers":
      return spec.increasing ? [3, 1] : ["x"];
  }
}

describe.each(ruleNames)("%s hyperparameters", (name) => {
  const rule = getRule(name);

  it("defaults to PyTorch's", () => {
    expect(rule.resolve({})).toMatchObject(torchDefaults[name]!);
  });

  it("refuses an unknown name, naming the known ones", () => {
    expect(() => rule.resolve({ lr: 0.1, learning_rate: 0.1 })).toThrow(
      new RegExp(`^${name}: unknown hyperparameter 'learning_rate'; known: lr, `),
    );
  });

  it.each(Object.entries(rule.spec))("refuses a bad %s with a message naming it", (field, spec) => {
    const bad = badValue(spec);
    let error: unknown;
    try {
      rule.resolve({ [field]: bad });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HyperparameterError);
    expect((error as HyperparameterError).field.startsWith(field)).toBe(true);
    expect((error as Error).message).toContain(`'${field}`);
  });

  it.each([NaN, Infinity, -Infinity, "0.1", null])("refuses lr = %s", (lr) => {
    expect(() => rule.resolve({ lr })).toThrow(/'lr' must be a finite number/);
  });
});

/** The message of the HyperparameterError `f` throws. */
function refusalOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof HyperparameterError) return e.message;
    throw e;
  }
  return "accepted";
}

describe("cross-field checks", () => {
  it.each([
    ["sgd", { nesterov: true }, /nesterov momentum requires momentum > 0/],
    ["sgd", { nesterov: true, momentum: 0.9, dampening: 0.1 }, /requires dampening = 0/],
    ["sgd", { ema_momentum: true, momentum: 1 }, /ema_momentum requires momentum < 1/],
    ["sgd", { bias_correction: true, momentum: 0.9 }, /bias_correction divides the exponential average by 1 − momentum\^t: it requires ema_momentum: true/],
    ["sgd", { bias_correction: true, ema_momentum: true, nesterov: true, momentum: 0.9 }, /bias_correction is defined for the exponential average without nesterov/],
    ["sgd", { momentum_form: "velocity", momentum: 0.9, dampening: 0.1 }, /momentum_form 'velocity' \(v = momentum · v − lr · g\) has no dampening/],
    ["sgd", { momentum_form: "velocity", momentum: 0.9, ema_momentum: true }, /ema_momentum averages PyTorch's buffer/],
    ["sgd", { momentum_form: "velocity", momentum: 0.9, nesterov: true, weight_decay: 0.1 }, /look-ahead Nesterov .* set weight_decay to 0/],
    ["sgd", { momentum_form: "lookahead" }, /'momentum_form' must be one of 'pytorch', 'velocity', got "lookahead"/],
    ["adam", { betas: [0.9, 1] }, /'betas\[1\]' must be >= 0 and < 1, got 1/],
    ["adam", { betas: [0.9] }, /'betas' must be a list of two numbers/],
    ["adadelta", { rho: 1.5 }, /'rho' must be >= 0 and <= 1, got 1.5/],
  ] as const)("%s %j", (name, input, message) => {
    expect(() => getRule(name).resolve(input)).toThrow(message);
  });

  it.each([
    ["rprop", { etas: [0.5, 1] }, "rprop: 'etas' must be [etaminus, etaplus] with 0 < etaminus < 1 < etaplus, got [0.5, 1]"],
    ["rprop", { etas: [1.5, 2] }, "rprop: 'etas' must be [etaminus, etaplus] with 0 < etaminus < 1 < etaplus, got [1.5, 2]"],
    ["rprop", { etas: [0, 2] }, "rprop: 'etas[0]' must be > 0, got 0"],
    ["rprop", { step_sizes: [1, 0.5] }, "rprop: 'step_sizes' must be [min, max] with min <= max, got [1, 0.5]"],
    ["rprop", { step_sizes: [-1, 0.5] }, "rprop: 'step_sizes[0]' must be >= 0, got -1"],
    ["rprop", { weight_decay: 0.1 }, "rprop: unknown hyperparameter 'weight_decay'; known: lr, etas, step_sizes, maximize"],
    ["asgd", { lambd: -1 }, "asgd: 'lambd' must be >= 0, got -1"],
    ["asgd", { t0: -5 }, "asgd: 't0' must be >= 0, got -5"],
    ["lion", { betas: [0.9, 1] }, "lion: 'betas[1]' must be >= 0 and < 1, got 1"],
    ["lion", { eps: 1e-8 }, "lion: unknown hyperparameter 'eps'; known: lr, betas, weight_decay, maximize"],
    ["normalized", { momentum: 1 }, "normalized: 'momentum' must be >= 0 and < 1, got 1"],
    ["normalized", { eps: -1 }, "normalized: 'eps' must be >= 0, got -1"],
    ["adafactor", { shape: [3] }, "adafactor: 'shape' must be [] (a vector) or [rows, cols] of positive integers, got [3]"],
    ["adafactor", { shape: [2, 0.5] }, "adafactor: 'shape' must be [] (a vector) or [rows, cols] of positive integers, got [2,0.5]"],
    ["adafactor", { beta2_decay: 0.5 }, "adafactor: 'beta2_decay' must be <= 0, got 0.5"],
    ["adafactor", { d: 0 }, "adafactor: 'd' must be > 0, got 0"],
    ["adam", { bias_correction: "no" }, "adam: 'bias_correction' must be true or false, got \"no\""],
  ] as const)("%s %j: the precise refusal", (name, input, message) => {
    expect(refusalOf(() => getRule(name).resolve(input))).toBe(message);
  });

  it("accepts nesterov with EMA momentum and dampening set", () => {
    expect(getRule("sgd").resolve({ nesterov: true, ema_momentum: true, momentum: 0.9, dampening: 0.5 }).nesterov).toBe(true);
  });
});
