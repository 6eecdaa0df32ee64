import { ruleNames } from "../../src/optim";
import { f32, loadGolden, metadataJson } from "./golden";

/** One PyTorch trajectory per rule, as plain arrays a worker test can receive through `inject`. */
export interface GoldenTrajectory {
  rule: string;
  case: string;
  hyper: Record<string, unknown>;
  init: number[];
  grads: number[][];
  weights: number[][];
}

/** A trajectory of hyper-schedules.safetensors: the configuration's parts and torch's lrs and scheduled values per step. */
export interface HyperScheduleTrajectory extends GoldenTrajectory {
  schedule: Record<string, unknown> | null;
  schedules: Record<string, unknown>;
  lrs: number[];
  values: Record<string, number[]>;
}

declare module "vitest" {
  export interface ProvidedContext {
    goldenTrajectories: GoldenTrajectory[];
    hyperScheduleTrajectories: HyperScheduleTrajectory[];
  }
}

const rowsOf = (steps: number, length: number) => (m: Float32Array) =>
  Array.from({ length: steps }, (_, k) => Array.from(m.subarray(k * length, (k + 1) * length)));

export function hyperScheduleTrajectories(length = 257): HyperScheduleTrajectory[] {
  const inputs = loadGolden("inputs.safetensors");
  const rows = rowsOf(Number(inputs.metadata.steps), length);
  const file = loadGolden("hyper-schedules.safetensors");
  type Case = Omit<HyperScheduleTrajectory, "case" | "init" | "grads" | "weights"> & { id: string };
  return metadataJson<Case[]>(file, "cases").map((c) => ({
    rule: c.rule,
    case: c.id,
    hyper: c.hyper,
    schedule: c.schedule,
    schedules: c.schedules,
    lrs: c.lrs,
    values: c.values,
    init: Array.from(f32(inputs, `n${length}/init`)),
    grads: rows(f32(inputs, `n${length}/grads`)),
    weights: rows(f32(file, `${c.id}/n${length}/weights`)),
  }));
}

export function goldenTrajectories(length = 257): GoldenTrajectory[] {
  const inputs = loadGolden("inputs.safetensors");
  const steps = Number(inputs.metadata.steps);
  const rows = (m: Float32Array) => Array.from({ length: steps }, (_, k) => Array.from(m.subarray(k * length, (k + 1) * length)));
  return ruleNames.flatMap((rule) => {
    const file = loadGolden(`rules/${rule}.safetensors`);
    return metadataJson<{ id: string; hyper: Record<string, unknown> }[]>(file, "cases").map((c) => ({
      rule,
      case: c.id,
      hyper: c.hyper,
      init: Array.from(f32(inputs, `n${length}/init`)),
      grads: rows(f32(inputs, `n${length}/grads`)),
      weights: rows(f32(file, `${c.id}/n${length}/weights`)),
    }));
  });
}
