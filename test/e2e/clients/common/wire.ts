/** Bytes on the wire: raw little-endian float32 vectors, safetensors files, numeric headers. */
import { fromSafetensors, toSafetensors } from "../../../../packages/client/src/safetensors";

/** A float32 vector's bytes in a Blob of type application/octet-stream (fetch sends its type). */
export function floatsBlob(values: Float32Array<ArrayBuffer>): Blob {
  return new Blob([values], { type: "application/octet-stream" });
}

/** The float32 values of raw little-endian bytes. */
export function floatsOf(bytes: ArrayBuffer): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new Error(`${bytes.byteLength} bytes are not a whole number of float32 values`);
  return new Float32Array(bytes);
}

/** A safetensors file of named tensors. */
export function safetensorsOf(tensors: readonly { name: string; shape: number[]; gradient: Float32Array }[]): Uint8Array<ArrayBuffer> {
  const input = Object.fromEntries(tensors.map((t) => [t.name, { data: t.gradient, shape: t.shape }]));
  return Uint8Array.from(toSafetensors(input));
}

/** A safetensors file's tensors by name. */
export function tensorsOf(bytes: ArrayBuffer): Record<string, Float32Array> {
  return fromSafetensors(new Uint8Array(bytes)).tensors;
}

/** A header holding a whole number (X-Shard-Version, ...); an error when it is missing or not one. */
export function integerHeader(headers: Headers, name: string): number {
  const raw = headers.get(name);
  const value = raw === null ? NaN : Number(raw);
  if (!Number.isInteger(value)) throw new Error(`header ${name} is ${raw === null ? "missing" : `'${raw}'`}, expected a whole number`);
  return value;
}

/** An error for an answer the flow did not expect, with the problem's detail when it has one. */
export function unexpected(operation: string, status: number, problem: unknown): Error {
  const detail = typeof problem === "object" && problem !== null && "detail" in problem ? String(problem.detail) : JSON.stringify(problem);
  return new Error(`${operation}: unexpected status ${status}: ${detail}`);
}
