/**
 * Named float32 tensors in and out of safetensors bytes, the model routes' wire format. The strict
 * parser and the encoder are the server's own (src/formats/safetensors.ts, bundled into the package).
 */
import { encodeSafetensors, parseSafetensors, readTensor, SafetensorsError } from "../../../src/formats/safetensors.js";

export { SafetensorsError };

/** A tensor: its values, flattened row-major, and its shape. */
export interface Tensor {
  data: Float32Array;
  shape: number[];
}

/** Tensors by name; a bare Float32Array is a tensor of shape [length]. */
export type TensorsInput = Record<string, Float32Array | Tensor>;

/** Decoded tensors: values and shapes by name, and the file's `__metadata__`. */
export interface TensorSet {
  tensors: Record<string, Float32Array>;
  shapes: Record<string, number[]>;
  metadata: Record<string, string>;
}

const tensorOf = (value: Float32Array | Tensor): Tensor => (value instanceof Float32Array ? { data: value, shape: [value.length] } : value);

/** Safetensors bytes of `tensors` (F32, names sorted), with `metadata` as `__metadata__`. Checks that each shape fits its values. */
export function toSafetensors(tensors: TensorsInput, metadata?: Record<string, string>): Uint8Array {
  const input: Record<string, Tensor> = {};
  for (const [name, value] of Object.entries(tensors)) {
    const tensor = tensorOf(value);
    const size = tensor.shape.reduce((a, b) => a * b, 1);
    if (!tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || size !== tensor.data.length) {
      throw new SafetensorsError(`tensor '${name}': shape ${JSON.stringify(tensor.shape)} does not fit ${tensor.data.length} values`);
    }
    input[name] = tensor;
  }
  return encodeSafetensors(input, metadata);
}

/**
 * The tensors of safetensors bytes, checked strictly (offsets, sizes, overlaps) before any value is
 * read. F32 and F64 tensors are accepted; F64 values are rounded to float32.
 */
export function fromSafetensors(bytes: Uint8Array | ArrayBuffer): TensorSet {
  const file = parseSafetensors(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  const set: TensorSet = { tensors: {}, shapes: {}, metadata: { ...file.metadata } };
  for (const [name, info] of file.tensors) {
    const values = readTensor(file, name);
    set.tensors[name] = values instanceof Float32Array ? values : Float32Array.from(values);
    set.shapes[name] = [...info.shape];
  }
  return set;
}
