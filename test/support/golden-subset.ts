import { ruleNames } from "../../src/optim";
import { f32, loadGolden, metadataJson } from "./golden";
import { notesCases, notesExpected, notesGradient, notesInit, notesSteps } from "./notes-golden";

/** One PyTorch trajectory per rule, as plain arrays a worker test can receive through `inject`. */
export interface GoldenTrajectory {
  rule: string;
  case: string;
  hyper: Record<string, unknown>;
  init: number[];
  grads: number[][];
  weights: number[][];
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
    }));
  });
}

/** One trajectory of SGD in a classic notes' form (./notes-golden.ts), as plain arrays for a worker test. */
export interface NotesTrajectory {
  case: string;
  hyper: Record<string, unknown>;
  schedule: Record<string, unknown>;
  init: number[];
  grads: number[][];
  /** Per vector of the case (`weights`, its slot, `point`, and `pytorch_form` for the velocity form), its value after each update. */
  expected: Record<string, number[][]>;
}

declare module "vitest" {
  export interface ProvidedContext {
    notesTrajectories: NotesTrajectory[];
  }
}

export function notesTrajectories(length = 257): NotesTrajectory[] {
  const rows = (name: (k: number) => Float32Array) => Array.from({ length: notesSteps }, (_, k) => Array.from(name(k)));
  return notesCases.map((c) => ({
    case: c.id,
    hyper: c.hyper,
    schedule: c.schedule,
    init: Array.from(notesInit(length)),
    grads: rows((k) => notesGradient(length, k)),
    expected: Object.fromEntries(
      [...c.vectors, ...(c.hyper.momentum_form === "velocity" ? ["pytorch_form"] : [])].map((v) => [v, rows((k) => notesExpected(c, length, v, k))]),
    ),
  }));
}
