import { getRule, ruleNames } from "../../src/optim";
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
  /** The averages the rule keeps in its state (ASGD's `ax`) after the last step, by name. */
  kept: Record<string, number[]>;
}

/** A trajectory of hyper-schedules.safetensors: the configuration's parts and torch's lrs and scheduled values per step. */
export interface HyperScheduleTrajectory extends Omit<GoldenTrajectory, "kept"> {
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

/** The rows of a [steps, length] tensor as plain arrays. */
const rowsOf = (m: Float32Array, steps: number, length: number) => Array.from({ length: steps }, (_, k) => Array.from(m.subarray(k * length, (k + 1) * length)));

/** Every rule's cases at `length`, and Adafactor's on a `matrix` (scripts/golden/papers.py). */
export function goldenTrajectories(length = 257, matrix: readonly [number, number] = [16, 20]): GoldenTrajectory[] {
  return [...vectorTrajectories(length), ...adafactorMatrixTrajectories(matrix)];
}

function adafactorMatrixTrajectories([height, width]: readonly [number, number]): GoldenTrajectory[] {
  const file = loadGolden("rules/adafactor-matrix.safetensors");
  const steps = Number(file.metadata.steps);
  const key = `m${height}x${width}`;
  return metadataJson<{ id: string; hyper: Record<string, unknown> }[]>(file, "cases").map((c) => ({
    rule: "adafactor",
    case: `${c.id} ${height}×${width}`,
    hyper: { ...c.hyper, shape: [height, width] },
    init: Array.from(f32(file, `${key}/init`)),
    grads: rowsOf(f32(file, `${key}/grads`), steps, height * width),
    weights: rowsOf(f32(file, `${c.id}/${key}/weights`), steps, height * width),
    kept: {},
  }));
}

export function hyperScheduleTrajectories(length = 257): HyperScheduleTrajectory[] {
  const inputs = loadGolden("inputs.safetensors");
  const rows = (m: Float32Array) => rowsOf(m, Number(inputs.metadata.steps), length);
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

function vectorTrajectories(length: number): GoldenTrajectory[] {
  const inputs = loadGolden("inputs.safetensors");
  const steps = Number(inputs.metadata.steps);
  const rows = (m: Float32Array) => rowsOf(m, steps, length);
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
