import { describe, expect, it } from "vitest";
import { asBeforeCycling, patchedConfig, residentBytes, resolveShardConfig, sameConfig, storedConfig, startingAt } from "../../src/config";
import { createReferenceEngine, hyperInForce, learningRateAt, resolveSchedule, scheduledValues, structuralHyper } from "../../src/optim";

const shard = (config: Record<string, unknown>) => resolveShardConfig({ length: 8, ...config });

describe("schedules of hyperparameters: refusals", () => {
  const linear = { type: "linear", start_factor: 0.5 };
  it.each([
    ["an unknown path", { rule: "sgd", hyper: { momentum: 0.9 }, schedules: { mommentum: linear } }, "schedules.mommentum: sgd has no hyperparameter 'mommentum'; sgd can schedule momentum, dampening, weight_decay"],
    ["the lr", { rule: "sgd", schedules: { lr: linear } }, "schedules.lr: the lr follows the configuration's 'schedule'"],
    ["a flag", { rule: "sgd", hyper: { momentum: 0.9 }, schedules: { nesterov: linear } }, "schedules.nesterov: 'nesterov' is not a real number"],
    ["a pair as a whole", { rule: "adam", schedules: { betas: linear } }, "schedules.betas: 'betas' is a pair: schedule 'betas.0' or 'betas.1'"],
    ["an element a pair lacks", { rule: "adam", schedules: { "betas.2": linear } }, "schedules.betas.2: 'betas' is a pair: schedule 'betas.0' or 'betas.1'"],
    ["an initial value", { rule: "adagrad", schedules: { initial_accumulator_value: linear } }, "schedules.initial_accumulator_value: 'initial_accumulator_value' only sets the state's initial value"],
    ["values without end", { rule: "adam", schedules: { "betas.0": { type: "step", gamma: 2 } } }, "schedules.betas.0: its values go from 0.9 to Infinity; a hyperparameter's schedule must stay finite (a gamma above 1 grows without end)"],
    ["values past the field's bounds", { rule: "adam", schedules: { "betas.0": { type: "cosine", T_max: 4, eta_min: 1 } } }, "schedules.betas.0: its values go from 0.9 to 1, and adam's 'betas.0' must stay >= 0 and < 1"],
    ["values that need state the shard does not keep", { rule: "sgd", schedules: { momentum: { type: "cosine", T_max: 10, eta_min: 0.5 } } }, "schedules.momentum: at momentum = 0.5 sgd needs state the shard does not keep (momentum_buffer) with momentum = 0; configure momentum so that it keeps it"],
    ["values the rule refuses", { rule: "sgd", hyper: { momentum: 0.9, ema_momentum: true }, schedules: { momentum: { type: "multistep", milestones: [5, 10], gamma: 1.2 } } }, "schedules.momentum: its values reach momentum = 1.296, where sgd: ema_momentum requires momentum < 1"],
    ["a start where the state is unused", { rule: "sgd", hyper: { momentum: 0.9 }, schedules: { momentum: { type: "constant", factor: 0, total_iters: 3 } } }, "schedules.momentum: it starts at momentum = 0, where sgd leaves momentum_buffer unused"],
    ["a one_cycle", { rule: "sgd", hyper: { momentum: 0.9 }, schedules: { momentum: { type: "one_cycle" } } }, "schedules.momentum: a hyperparameter cannot follow a one_cycle schedule (it drives the lr only)"],
    ["a plateau", { rule: "adam", schedules: { eps: { type: "plateau" } } }, "schedules.eps: a hyperparameter cannot follow a plateau schedule"],
    ["an unknown field of a schedule", { rule: "sgd", hyper: { momentum: 0.9 }, schedules: { momentum: { type: "linear", foo: 1 } } }, 'schedules.momentum: Unrecognized key: "foo"'],
    ["a number for a schedule", { rule: "sgd", hyper: { momentum: 0.9 }, schedules: { momentum: 5 } }, "schedules.momentum: Invalid input: expected object, received number"],
    ["a one_cycle inside a sequence", { rule: "sgd", hyper: { momentum: 0.9 }, schedules: { momentum: { type: "sequence", schedules: [{ type: "constant" }, { type: "sequence", schedules: [{ type: "constant" }, { type: "one_cycle" }], milestones: [2] }], milestones: [3] } } }, "schedules.momentum: a hyperparameter cannot follow a one_cycle schedule"],
    ["a bad schedule", { rule: "sgd", hyper: { momentum: 0.9 }, schedules: { momentum: { type: "linear", start_factor: 0 } } }, "schedules.momentum.start_factor: Too small: expected number to be >0"],
    ["cycling a rule without momentum", { rule: "adagrad", schedule: { type: "one_cycle" } }, "schedule (one_cycle): adagrad has neither momentum nor betas to cycle; set cycle_momentum false"],
    ["cycling and scheduling one field", { rule: "sgd", hyper: { momentum: 0.9 }, schedule: { type: "one_cycle" }, schedules: { momentum: linear } }, "schedules.momentum: the one_cycle schedule cycles momentum (cycle_momentum); remove this schedule or set cycle_momentum false"],
    ["cycled values past the bounds", { rule: "adam", schedule: { type: "one_cycle", max_momentum: 1 } }, "schedule (one_cycle): its values go from 0.85 to 1, and adam's 'betas.0' must stay >= 0 and < 1"],
    ["an EMA decay past 1", { rule: "sgd", averages: { ema: { kind: "ema", decay: 0.9, decay_schedule: { type: "exponential", gamma: 1.5 } } } }, "its values go from 0.9 to Infinity, and an EMA's decay must stay >= 0 and < 1"],
    ["an EMA decay following one_cycle", { rule: "sgd", averages: { ema: { kind: "ema", decay_schedule: { type: "one_cycle" } } } }, "a decay cannot follow a one_cycle schedule"],
  ])("refuses %s", (_what, config, message) => {
    expect(() => shard(config)).toThrow(message);
  });

  it("accepts what the rule keeps state for, and names every schedule's path as given", () => {
    const config = shard({ rule: "adamw", schedules: { "betas.1": { type: "linear", start_factor: 0.9 }, weight_decay: { type: "inverse_sqrt" }, eps: { type: "step", step_size: 3 } } });
    expect(Object.keys(config.schedules).sort()).toEqual(["betas.1", "eps", "weight_decay"]);
    expect(config.schedules.weight_decay).toEqual({ type: "inverse_sqrt", warmup_steps: 0 });
  });
});

describe("hyperparameters in force", () => {
  it("is the configured object itself when nothing is scheduled (nothing allocated per step)", () => {
    const config = shard({ rule: "adam", schedule: { type: "cosine", T_max: 5 } });
    expect(hyperInForce(config, 3, 3)).toBe(config.hyper);
    expect(scheduledValues(config, 3, 3)).toEqual({});
  });

  it("scales the configured value as the lr schedules scale the base lr", () => {
    const momentum = { type: "exponential", gamma: 0.5 };
    const config = shard({ rule: "sgd", hyper: { momentum: 0.8 }, schedules: { momentum } });
    for (const t of [0, 1, 4]) expect(hyperInForce(config, t, t).momentum).toBe(learningRateAt(resolveSchedule(momentum), 0.8, t));
  });

  it("cycles momentum by default for new one_cycle configurations, as OneCycleLR, and shapes the state at max_momentum", () => {
    const config = shard({ rule: "sgd", schedule: { type: "one_cycle", total_steps: 10 } });
    expect(config.schedule).toMatchObject({ cycle_momentum: true, base_momentum: 0.85, max_momentum: 0.95 });
    expect(structuralHyper(config).momentum).toBe(0.95);
    expect(Object.keys(createReferenceEngine("sgd", structuralHyper(config), 8).state.slots)).toEqual(["momentum_buffer"]);
    expect(scheduledValues(config, 100, 0)).toEqual({ momentum: 0.95 });
  });

  it("inside a sequence, a cycle holds max_momentum outside its part", () => {
    const config = shard({ rule: "adam", schedule: { type: "sequence", schedules: [{ type: "constant" }, { type: "one_cycle", total_steps: 10, max_momentum: 0.92 }], milestones: [5] } });
    expect(scheduledValues(config, 0, 0)).toEqual({ "betas.0": 0.92 });
    expect(scheduledValues(config, 8, 8)["betas.0"]).toBeLessThan(0.92);
  });
});

describe("configurations stored before these fields", () => {
  // A shard created with a one_cycle schedule before cycle_momentum existed: SGD without momentum.
  const input = { length: 8, rule: "sgd", hyper: { lr: 0.1 }, schedule: { type: "one_cycle", total_steps: 20 }, averages: { ema: { kind: "ema", decay: 0.9 } } };
  const current = shard(input);
  const { schedules: _schedules, ...legacy } = {
    ...current,
    schedule: Object.fromEntries(Object.entries(current.schedule).filter(([k]) => !["cycle_momentum", "base_momentum", "max_momentum"].includes(k))),
    averages: { ema: { kind: "ema", decay: 0.9 } },
  };
  const stored = storedConfig(JSON.stringify(legacy));

  it("load without momentum cycling, schedules or decay schedules, and behave as before", () => {
    expect(stored.schedule).toMatchObject({ type: "one_cycle", cycle_momentum: false });
    expect(stored.schedules).toEqual({});
    expect(stored.averages.ema).toEqual({ kind: "ema", decay: 0.9, decay_schedule: null });
    expect(hyperInForce(stored, 7, 7)).toBe(stored.hyper);
    expect(residentBytes(stored)).toBe(residentBytes({ ...stored, schedule: { type: "constant", factor: 1, total_iters: 0 } }));
    expect(learningRateAt(stored.schedule, 0.1, 7)).toBe(learningRateAt(current.schedule, 0.1, 7));
  });

  it("keep their behaviour through a live change, and a re-PUT of the creating input is the same configuration", () => {
    const patched = patchedConfig(stored, { hyper: { lr: 0.2 } }, 5);
    expect(patched.schedule).toMatchObject({ cycle_momentum: false });
    expect(sameConfig(stored, resolveShardConfig(input))).toBe(false);
    expect(sameConfig(stored, resolveShardConfig(asBeforeCycling(input)))).toBe(true);
  });
});

describe("a live change of a hyperparameter's schedule", () => {
  const config = shard({ rule: "sgd", hyper: { momentum: 0.9 }, schedules: { momentum: { type: "linear", start_factor: 0.5, total_iters: 4 } } });

  it("counts the new schedule from the step of the change and keeps what was in force before it", () => {
    const patched = patchedConfig(config, { schedules: { momentum: { type: "exponential", gamma: 0.9 } } }, 6);
    for (const t of [0, 3, 5]) expect(scheduledValues(patched, t, t)).toEqual(scheduledValues(config, t, t));
    for (const t of [6, 7, 10]) expect(scheduledValues(patched, t, t).momentum).toBe(0.9 * 0.9 ** (t - 6));
  });

  it("cuts a sequence at the change instead of nesting it, and null stops the schedule", () => {
    const twice = patchedConfig(patchedConfig(config, { schedules: { momentum: { type: "constant" } } }, 6), { schedules: { momentum: { type: "exponential", gamma: 0.5 } } }, 3);
    expect(twice.schedules.momentum).toMatchObject({ type: "sequence", milestones: [3] });
    expect(startingAt(undefined, resolveSchedule({ type: "constant" }), 0)).toEqual(resolveSchedule({ type: "constant" }));
    expect(patchedConfig(config, { schedules: { momentum: null } }, 6).schedules).toEqual({});
  });

  it("refuses a patched path the rule cannot schedule", () => {
    expect(() => patchedConfig(config, { schedules: { nesterov: { type: "constant" } } }, 2)).toThrow("schedules.nesterov: 'nesterov' is not a real number");
  });
});
