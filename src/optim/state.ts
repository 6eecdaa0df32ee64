/**
 * The whole state of one optimizer over one parameter vector: nothing else lives anywhere.
 * Slots are vectors, as long as the parameters (moments, accumulators, buffers) unless their spec
 * gives a length of their own (Adafactor's row and column accumulators); scalars are per-vector
 * numbers (NAdam's running product of momentum coefficients). `step` counts the
 * updates applied so far, so the update being computed is number `step + 1`.
 */
export interface OptimizerState {
  step: number;
  slots: Record<string, Float32Array>;
  scalars: Record<string, number>;
}

/** A state vector a transform owns, with the value every element starts at. */
export interface SlotSpec {
  readonly name: string;
  readonly initial: number;
  /**
   * Elements of a slot that is not as long as the parameters. Such a slot is not element-wise:
   * every update reads and writes it whole, and storage writes it whole after every update.
   */
  readonly length?: number;
}

/** Slots that start at zero. */
export const zeroSlots = (...names: string[]): SlotSpec[] => names.map((name) => ({ name, initial: 0 }));

export interface ScalarSpec {
  readonly name: string;
  readonly initial: number;
  /** The closed interval its values stay in, when the rule bounds them (an imported state is held to it). */
  readonly range?: readonly [number, number];
}

/** Where a slot's vector lives: fresh heap memory, or (the fast engine) a view of wasm memory. */
export type Allocate = (length: number, name: string) => Float32Array;

export const allocateOnHeap: Allocate = (length) => new Float32Array(length);

export function initState(
  slots: readonly SlotSpec[],
  scalars: readonly ScalarSpec[],
  length: number,
  allocate: Allocate = allocateOnHeap,
): OptimizerState {
  const state: OptimizerState = { step: 0, slots: {}, scalars: {} };
  for (const slot of slots) {
    const vector = allocate(slot.length ?? length, slot.name);
    vector.fill(slot.initial);
    state.slots[slot.name] = vector;
  }
  for (const scalar of scalars) state.scalars[scalar.name] = scalar.initial;
  return state;
}

/**
 * A view of `state` restricted to elements [offset, offset + count) of parameters of `length`: for
 * sparse updates. Slots of another length are passed whole.
 */
export function sliceState(state: OptimizerState, offset: number, count: number, length: number): OptimizerState {
  const slots: Record<string, Float32Array> = {};
  for (const [name, vector] of Object.entries(state.slots)) {
    slots[name] = vector.length === length ? vector.subarray(offset, offset + count) : vector;
  }
  return { step: state.step, slots, scalars: state.scalars };
}

export function slot(state: OptimizerState, name: string): Float32Array {
  const vector = state.slots[name];
  if (!vector) throw new Error(`optimizer state has no slot '${name}'`);
  return vector;
}
