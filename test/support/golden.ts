import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseSafetensors, readTensor, type SafetensorsFile } from "../../src/formats/safetensors";

const goldenDir = fileURLToPath(new URL("../golden/", import.meta.url));

export function loadGolden(name: string): SafetensorsFile {
  return parseSafetensors(new Uint8Array(readFileSync(goldenDir + name)));
}

export function loadGoldenJson<T>(name: string): T {
  return JSON.parse(readFileSync(goldenDir + name, "utf8")) as T;
}

export function f32(file: SafetensorsFile, name: string): Float32Array {
  const t = readTensor(file, name);
  if (!(t instanceof Float32Array)) throw new Error(`golden tensor '${name}' is not F32`);
  return t;
}

export function f64(file: SafetensorsFile, name: string): Float64Array {
  const t = readTensor(file, name);
  if (!(t instanceof Float64Array)) throw new Error(`golden tensor '${name}' is not F64`);
  return t;
}

/** Row `k` of a [rows, n] tensor. */
export const row = (matrix: Float32Array, k: number, n: number) => matrix.subarray(k * n, (k + 1) * n);

export function metadataJson<T>(file: SafetensorsFile, key: string): T {
  const raw = file.metadata[key];
  if (raw === undefined) throw new Error(`golden file has no metadata '${key}'`);
  return JSON.parse(raw) as T;
}
