import { describe, expect, it } from "vitest";
import { encodeSafetensors, parseSafetensors, readTensor } from "../../src/formats/safetensors";

describe("readTensor", () => {
  const file = encodeSafetensors({ a: { shape: [3], data: new Float32Array([1, -2, 3.5]) }, b: { shape: [], data: new Float64Array([0.1]) } });

  it("copies a tensor's values out of the file", () => {
    const parsed = parseSafetensors(file);
    expect(Array.from(readTensor(parsed, "a"))).toEqual([1, -2, 3.5]);
    expect(Array.from(readTensor(parsed, "b"))).toEqual([0.1]);
  });

  it("reads the same values from a Node Buffer, whose slice is a view of a shared pool", () => {
    // A small Buffer.from copies into Node's pool: the file's bytes start somewhere inside a larger ArrayBuffer.
    const buffer = Buffer.from(file);
    expect(buffer.byteOffset > 0 || buffer.buffer.byteLength > buffer.byteLength).toBe(true);
    const parsed = parseSafetensors(buffer);
    expect(Array.from(readTensor(parsed, "a"))).toEqual([1, -2, 3.5]);
    expect(Array.from(readTensor(parsed, "b"))).toEqual([0.1]);
  });
});
