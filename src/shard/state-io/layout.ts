import type { Dtype } from "../../formats/safetensors";
import { stateShape } from "../../optim";
import type { ScalarSpec } from "../../optim/state";
import type { Resident } from "../store/resident";

/**
 * What a shard's optimizer state file holds (docs/state.md), derived from the rule's transform and
 * never written per rule: the weights, every slot under its PyTorch name, the step, and the rule's
 * scalars. Vectors are F32 of their own length (a slot may be shorter than the weights); the step
 * and the scalars are F64 0-d tensors, exact for any step a shard reaches (PyTorch's float32 step
 * is exact only to 2^24) and for the scalars as the shard keeps them (JavaScript numbers).
 */
export const WEIGHTS_TENSOR = "weights";
export const STEP_TENSOR = "step";
/** The version of this file's layout, in `__metadata__["shardstep.state"]`. */
export const STATE_FORMAT_VERSION = "1";

export interface StateVector {
  readonly name: string;
  readonly length: number;
  /** The vector in the resident engine (read at the time of use: the engine's memory may move). */
  readonly values: (resident: Resident) => Float32Array;
}

export interface StateLayout {
  /** The weights first, then the slots by name (so that every shard's order is part of one order: a model's file is read from its shards in it). */
  readonly vectors: readonly StateVector[];
  readonly scalars: readonly ScalarSpec[];
}

/** The layout of the resident shard's state: its engine's slots, the rule's scalar specs. */
export function stateLayout(resident: Resident): StateLayout {
  const { engine, meta } = resident;
  const vectors: StateVector[] = [{ name: WEIGHTS_TENSOR, length: engine.params.length, values: (r) => r.engine.params }];
  for (const [name, slot] of Object.entries(engine.state.slots).sort(([a], [b]) => (a < b ? -1 : 1))) vectors.push({ name, length: slot.length, values: (r) => r.engine.state.slots[name]! });
  const { scalars } = stateShape(meta.config.rule, meta.config.hyper, meta.config.length);
  const names = [...vectors.map((v) => v.name), STEP_TENSOR, ...scalars.map((s) => s.name)];
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated) throw new Error(`rule '${meta.config.rule}' names state '${repeated}', which the state file names otherwise`);
  return { vectors, scalars };
}

/** Two layouts name the same tensors with the same lengths (an import checks the shard did not change under it). */
export function sameLayout(a: StateLayout, b: StateLayout): boolean {
  const key = (l: StateLayout) => JSON.stringify([l.vectors.map((v) => [v.name, v.length]), l.scalars.map((s) => s.name)]);
  return key(a) === key(b);
}

/** The dtypes an import accepts for a 0-d number: F64 as exported, F32 as PyTorch keeps `step`. */
export const NUMBER_DTYPES: readonly Dtype[] = ["F64", "F32"];
