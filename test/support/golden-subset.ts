import { getRule, ruleNames } from "../../src/optim";
import { f32, loadGolden, metadataJson } from "./golden";

/** One PyTorch trajectory per rule, as plain arrays a worker test can receive through `inject`. */
export interface GoldenTrajectory {
  rule: string;
  case: string;
  hyper: Record<string, unknown>;
  init: number[];
  grads: number[][];
  weights: number[][];
  /** The averages the rule keeps in its state (ASGD's `ax`) after the last step, by name. */
  kept: Record<string, number[]>;
}

declare module "vitest" {
  export interface ProvidedContext {
    goldenTrajectories: GoldenTrajectory[];
  }
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
      kept: Object.fromEntries(getRule(rule).averages.map((a) => [a, rows(f32(file, `${c.id}/n${length}/${a}`))[steps - 1]!])),
    }));
  });
}
