import { describe, expect, it } from "vitest";
import {
  initPlateau,
  learningRateAt,
  observeMetric,
  resolveSchedule,
  type PlateauState,
  type ScheduleSpec,
} from "../../src/optim";
import { loadGoldenJson } from "../support/golden";

interface ScheduleCase {
  id: string;
  schedule: Record<string, unknown>;
  base_lr: number;
  lrs: number[];
  metrics?: number[];
}

// Schedules are computed in f64 on both sides; PyTorch's recursive forms differ from the closed
// forms by accumulated rounding only.
const RELATIVE_TOLERANCE = 1e-12;

const cases = loadGoldenJson<ScheduleCase[]>("schedules.json");

function trajectory(spec: ScheduleSpec, c: ScheduleCase): number[] {
  if (spec.type !== "plateau") return c.lrs.map((_, t) => learningRateAt(spec, c.base_lr, t));
  let state: PlateauState = initPlateau(spec, c.base_lr);
  return c.metrics!.map((metric) => {
    state = observeMetric(spec, state, metric);
    return learningRateAt(spec, c.base_lr, state.reports, state);
  });
}

describe("schedules match PyTorch's lr_scheduler", () => {
  it("covers every schedule type", () => {
    const types = new Set(cases.map((c) => c.schedule.type));
    expect([...types].sort()).toEqual(
      ["constant", "cosine", "cosine_restarts", "exponential", "inverse_time", "linear", "multistep", "one_cycle", "plateau", "polynomial", "sequence", "step"],
    );
  });

  it.each(cases.map((c) => [c.id, c] as const))("%s", (_id, c) => {
    const spec = resolveSchedule(c.schedule);
    // one_cycle also gets cycle_momentum and its momenta (they move no lr: hyper-schedules-golden.test.ts).
    expect(spec).toMatchObject(c.schedule);
    const lrs = trajectory(spec, c);
    expect(lrs.length).toBeGreaterThanOrEqual(30);
    lrs.forEach((lr, t) => {
      const expected = c.lrs[t]!;
      expect(Math.abs(lr - expected), `t=${t}: ${lr} vs ${expected}`).toBeLessThanOrEqual(RELATIVE_TOLERANCE * Math.abs(expected) + 1e-300);
    });
  });
});

describe("schedule validation", () => {
  it.each([
    [{ type: "warp" }, /unknown schedule type "warp"; known: constant, /],
    [{ type: "step", step_size: 0 }, /'step_size' must be >= 1, got 0/],
    [{ type: "step", step_size: 2.5 }, /'step_size' must be an integer/],
    [{ type: "multistep", milestones: [5, 3] }, /'milestones' must be strictly increasing/],
    [{ type: "cosine", T_max: 10, tmax: 3 }, /unknown hyperparameter 'tmax'/],
    [{ type: "plateau", mode: "sideways" }, /'mode' must be one of 'min', 'max'/],
    [{ type: "sequence", schedules: [{ type: "constant" }], milestones: [3] }, /one entry fewer than 'schedules'/],
    [{ type: "sequence", schedules: [{ type: "constant" }, { type: "plateau" }], milestones: [3] }, /cannot be part of a sequence/],
    [{ type: "sequence", schedules: [{ type: "constant" }, { type: "nope" }], milestones: [3] }, /schedule.schedules\[1\]: unknown schedule type/],
    [{ type: "one_cycle", total_steps: 3, pct_start: 0.1 }, /every phase at least one step/],
    ["cosine", /must be an object with a 'type'/],
  ] as const)("refuses %j", (input, message) => {
    expect(() => resolveSchedule(input)).toThrow(message);
  });
});
