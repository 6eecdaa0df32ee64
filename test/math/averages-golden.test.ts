import { describe, expect, it } from "vitest";
import { averageInForce, initAverage, resolveSchedule, updateAverage, type AverageSpec } from "../../src/optim";
import { f32, loadGolden, metadataJson, row } from "../support/golden";
import { TrajectoryTolerance } from "../support/tolerance";

// AveragedModel over a 20-step weight trajectory of 257 elements; trajectory[t] is treated as the
// weights at version t. Measured worst: 1 ulp.
const ULP_TOLERANCE = 2;

interface AverageCase {
  id: string;
  kind: "ema" | "swa";
  decay?: number;
  start?: number;
}

const file = loadGolden("averages.safetensors");
const cases = metadataJson<AverageCase[]>(file, "cases");
const steps = Number(file.metadata.steps);
const initial = f32(file, "initial");
const trajectory = f32(file, "trajectory");
const n = initial.length;

describe("averages match torch.optim.swa_utils.AveragedModel", () => {
  it.each(cases.map((c) => [c.id, c] as const))("%s", (_id, c) => {
    const spec: AverageSpec = c.kind === "ema" ? { kind: "ema", decay: c.decay! } : { kind: "swa", start: c.start! };
    const avg = initAverage(initial);
    const tolerance = new TrajectoryTolerance(initial);
    const expected = f32(file, c.id);
    for (let t = 0; t < steps; t++) {
      updateAverage(spec, avg, row(trajectory, t, n), t);
      const worst = tolerance.check(avg.values, row(expected, t, n));
      expect(worst.ulps, `t=${t} [${worst.index}] ${worst.actual} vs ${worst.expected}`).toBeLessThanOrEqual(ULP_TOLERANCE);
    }
    expect(avg.count).toBe(c.kind === "ema" ? steps : steps - c.start!);
  });
});

// The same trajectory into AveragedModel EMAs whose avg_fn takes the decay of the fold's update from
// a schedule (averages-scheduled.safetensors): both the math and the fast path's kernel.
describe("EMA averages whose decay follows a schedule match AveragedModel", () => {
  const scheduled = loadGolden("averages-scheduled.safetensors");
  const scheduledCases = metadataJson<{ id: string; decay: number; decay_schedule: unknown }[]>(scheduled, "cases");

  it.each(scheduledCases.map((c) => [c.id, c] as const))("%s", (_id, c) => {
    const spec: AverageSpec = { kind: "ema", decay: c.decay, decay_schedule: resolveSchedule(c.decay_schedule) };
    const avg = initAverage(initial);
    const tolerance = new TrajectoryTolerance(initial);
    for (let t = 0; t < steps; t++) {
      updateAverage(averageInForce(spec, t), avg, row(trajectory, t, n), t);
      const worst = tolerance.check(avg.values, row(f32(scheduled, c.id), t, n));
      expect(worst.ulps, `t=${t} [${worst.index}] ${worst.actual} vs ${worst.expected}`).toBeLessThanOrEqual(ULP_TOLERANCE);
    }
    expect(averageInForce(spec, 1)).not.toEqual({ kind: "ema", decay: c.decay });
  });
});
