import { describe, expect, it } from "vitest";
import { boundaryWarnings, formatNumber } from "../../src/sweeps/boundary";
import type { Assignment, Direction, ParamSpec, Space, TrialRecord } from "../../src/sweeps/space";

const complete = (number: number, params: Assignment, value: number): TrialRecord => ({ number, params, state: "complete", value, reports: [], stage: 0 });

describe("boundary warnings", () => {
  it.each([
    {
      name: "log, low side",
      spec: { kind: "log_uniform", low: 1e-6, high: 10 },
      best: 1.2e-6,
      warning: { side: "low", widen_to: 1e-7, message: "the best p (1.2e-6) lies in the lowest 5% of its log range [1e-6, 10]: the optimum may be below it; widen low to 1e-7" },
    },
    {
      name: "log, high side",
      spec: { kind: "log_uniform", low: 1e-6, high: 10 },
      best: 5,
      warning: { side: "high", widen_to: 100, message: "the best p (5) lies in the highest 5% of its log range [1e-6, 10]: the optimum may be above it; widen high to 100" },
    },
    // Linear in the value: 0.04 of [0, 1] is near low, but on the log scale of [1e-6, 10] it is not.
    { name: "log, middle (although near low in the value)", spec: { kind: "log_uniform", low: 1e-6, high: 10 }, best: 0.04, warning: null },
    {
      name: "linear, low side (at the bound)",
      spec: { kind: "uniform", low: 0, high: 1 },
      best: 0,
      warning: { side: "low", widen_to: -0.5, message: "the best p (0) lies in the lowest 5% of its range [0, 1]: the optimum may be below it; widen low to -0.5" },
    },
    {
      name: "linear, high side",
      spec: { kind: "uniform", low: 0.1, high: 0.5 },
      best: 0.49,
      warning: { side: "high", widen_to: 0.7, message: "the best p (0.49) lies in the highest 5% of its range [0.1, 0.5]: the optimum may be above it; widen high to 0.7" },
    },
    { name: "linear, middle", spec: { kind: "uniform", low: 0, high: 1 }, best: 0.5, warning: null },
    { name: "linear, just inside the margin's edge", spec: { kind: "uniform", low: 0, high: 100 }, best: 5.01, warning: null },
    { name: "linear, at the margin's edge", spec: { kind: "uniform", low: 0, high: 100 }, best: 5, warning: { side: "low", widen_to: -50 } },
    {
      name: "int, high side, rounded outward",
      spec: { kind: "int", low: 16, high: 255, log: false },
      best: 250,
      warning: { side: "high", widen_to: 375, message: "the best p (250) lies in the highest 5% of its range [16, 255]: the optimum may be above it; widen high to 375" },
    },
    { name: "log int, low side", spec: { kind: "int", low: 4, high: 4096, log: true }, best: 4, warning: { side: "low", widen_to: 1 } },
    { name: "log int at 1 cannot widen low", spec: { kind: "int", low: 1, high: 4096, log: true }, best: 1, warning: null },
    { name: "log int, high side", spec: { kind: "int", low: 1, high: 4096, log: true }, best: 4000, warning: { side: "high", widen_to: 40960 } },
  ] as { name: string; spec: ParamSpec; best: number; warning: null | Record<string, unknown> }[])("$name", ({ spec, best, warning }) => {
    const space: Space = [{ name: "p", spec }];
    const middle = spec.kind === "choice" ? 0 : spec.kind === "log_uniform" ? Math.sqrt(spec.low * spec.high) : (spec.low + spec.high) / 2;
    const trials = [complete(0, { p: middle }, 2), complete(1, { p: best }, 1)];
    const warnings = boundaryWarnings(space, trials, "minimize");
    if (warning === null) return void expect(warnings).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ param: "p", value: best, low: spec.kind === "choice" ? 0 : spec.low, high: spec.kind === "choice" ? 0 : spec.high, ...warning });
  });

  const space: Space = [
    { name: "lr", spec: { kind: "log_uniform", low: 1e-5, high: 1 } },
    { name: "dropout", spec: { kind: "uniform", low: 0, high: 0.5 } },
    { name: "optimizer", spec: { kind: "choice", values: ["sgd", "adam"] } },
  ];
  const trials: TrialRecord[] = [
    complete(0, { lr: 0.9, dropout: 0.01, optimizer: "sgd" }, 0.1),
    complete(1, { lr: 1e-3, dropout: 0.25, optimizer: "adam" }, 0.9),
    { ...complete(2, { lr: 1e-5, dropout: 0.5, optimizer: "sgd" }, 0), state: "running", value: null },
    { ...complete(3, { lr: 1e-5, dropout: 0.5, optimizer: "sgd" }, 0), state: "pruned", value: null },
  ];

  it.each([
    { direction: "minimize", expected: [{ param: "lr", side: "high" }, { param: "dropout", side: "low" }] },
    { direction: "maximize", expected: [] },
  ] as { direction: Direction; expected: object[] }[])("judges the best complete trial ($direction) and ignores choices", ({ direction, expected }) => {
    const warnings = boundaryWarnings(space, trials, direction);
    expect(warnings).toHaveLength(expected.length);
    expected.forEach((w, i) => expect(warnings[i]).toMatchObject(w));
  });

  it("takes its margin as a fraction of the range", () => {
    // lr = 1e-3 is two fifths of the way up [1e-5, 1] on the log scale; dropout is in the middle.
    expect(boundaryWarnings(space, trials, "maximize", 0.45).map((w) => w.message)).toEqual([
      "the best lr (0.001) lies in the lowest 45% of its log range [1e-5, 1]: the optimum may be below it; widen low to 1e-6",
    ]);
    expect(boundaryWarnings(space, trials, "maximize", 0.35)).toEqual([]);
  });

  it("says nothing before a trial completes", () => {
    expect(boundaryWarnings(space, trials.slice(2), "minimize")).toEqual([]);
  });

  it.each([
    [1.2e-6, "1.2e-6"],
    [1e-7, "1e-7"],
    [0.001, "0.001"],
    [0.00012345, "1.23e-4"],
    [123456, "1.23e5"],
    [12.3456, "12.3"],
    [-0.5, "-0.5"],
    [0, "0"],
  ])("formats %f as %s", (x, s) => {
    expect(formatNumber(x)).toBe(s);
  });
});
