import type { Engine } from "../../src/optim";
import { f32, f64, loadGolden, metadataJson, row } from "./golden";
import { TrajectoryTolerance, type Mismatch } from "./tolerance";

/**
 * SGD in the classic notes' forms (bias-corrected momentum, the velocity form, the look-ahead
 * Nesterov) against their equations in float64 (scripts/golden/notes_sgd.py, no shardstep code):
 * trajectories of 12 updates at a scheduled learning rate, with the point after each update.
 */
export interface NotesCase {
  id: string;
  rule: "sgd";
  hyper: Record<string, unknown>;
  schedule: Record<string, unknown>;
  /** What the file holds after each update: `weights`, the state slot, and `point` for the look-ahead. */
  vectors: string[];
}

export const notesGolden = loadGolden("notes-sgd.safetensors");
export const notesCases = metadataJson<NotesCase[]>(notesGolden, "cases");
export const notesLengths = JSON.parse(notesGolden.metadata.lengths!) as number[];
export const notesSteps = Number(notesGolden.metadata.steps);

export const notesInit = (n: number) => f32(notesGolden, `n${n}/init`);
export const notesGradient = (n: number, k: number) => row(f32(notesGolden, `n${n}/grads`), k, n);
export const notesLearningRates = (c: NotesCase) => f64(notesGolden, `${c.id}/lrs`);
export const notesExpected = (c: NotesCase, n: number, name: string, k: number) => row(f32(notesGolden, `${c.id}/n${n}/${name}`), k, n);

/** A vector of the engine by the file's name: the weights, a slot, or the point (the weights where the rule has none). */
function vectorOf(engine: Engine, name: string): Float32Array {
  if (name === "weights") return engine.params;
  if (name === "point") return engine.point() ?? engine.params;
  return engine.state.slots[name]!;
}

/** Pairs of (the engine's vector, the file's vector) compared after each update. */
export type Comparisons = readonly (readonly [actual: string, expected: string])[];

/**
 * Replays case `c` at length `n` through `engine` (created for a rule and hyperparameters): each
 * update at the case's scheduled learning rate, then each comparison (default: every vector of the
 * case against its own), reported as its worst mismatch. Weights and point are measured in ulps
 * of the largest magnitude the element has had from the initial weights on, slots from zero.
 */
export function replayNotes(engine: Engine, c: NotesCase, n: number, report: (k: number, name: string, worst: Mismatch) => void, comparisons: Comparisons = c.vectors.map((v) => [v, v] as const)): void {
  engine.params.set(notesInit(n));
  const lrs = notesLearningRates(c);
  const start = (name: string) => (name === "weights" || name === "point" ? notesInit(n) : new Float32Array(n));
  const tolerance = comparisons.map(([actual]) => new TrajectoryTolerance(start(actual)));
  for (let k = 0; k < notesSteps; k++) {
    engine.gradient.set(notesGradient(n, k));
    engine.step(lrs[k]!);
    comparisons.forEach(([actual, expected], j) => report(k, actual, tolerance[j]!.check(vectorOf(engine, actual), notesExpected(c, n, expected, k))));
  }
}
