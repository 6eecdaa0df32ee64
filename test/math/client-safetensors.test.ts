/** @shardstep/client's safetensors helpers: exact bytes out, strict reading in, shapes and metadata kept. */
import { describe, expect, it } from "vitest";
import { fromSafetensors, SafetensorsError, toSafetensors } from "../../packages/client/src/safetensors";
import { loadGolden } from "../support/golden";
import { readFileSync } from "node:fs";

/** A safetensors file built by hand: header JSON (padded with spaces to 8 bytes), then the data. */
function handMade(header: object, data: Uint8Array): Uint8Array {
  let json = new TextEncoder().encode(JSON.stringify(header));
  json = Uint8Array.from([...json, ...new Array((8 - (json.length % 8)) % 8).fill(0x20)]);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const le32 = (...values: number[]) => new Uint8Array(Float32Array.from(values).buffer);

describe("toSafetensors", () => {
  it("writes the format's bytes: header length, sorted header padded to 8, little-endian data", () => {
    const bytes = toSafetensors({ w: { data: Float32Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3] }, b: Float32Array.of(-0.5) }, { format: "pt" });
    const expected = handMade(
      { __metadata__: { format: "pt" }, b: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, w: { dtype: "F32", shape: [2, 3], data_offsets: [4, 28] } },
      Uint8Array.from([...le32(-0.5), ...le32(1, 2, 3, 4, 5, 6)]),
    );
    expect(bytes).toEqual(expected);
  });

  it("refuses a shape that does not fit the values", () => {
    expect(() => toSafetensors({ w: { data: new Float32Array(6), shape: [4, 2] } })).toThrow(SafetensorsError);
    expect(() => toSafetensors({ w: { data: new Float32Array(6), shape: [2, -3] } })).toThrow(/does not fit/);
  });
});

describe("fromSafetensors", () => {
  it("reads what toSafetensors wrote: values, shapes, metadata, also from an ArrayBuffer or a view at an offset", () => {
    const tensors = { "fc1.weight": { data: Float32Array.from({ length: 12 }, (_, i) => i / 7), shape: [3, 4] }, "fc1.bias": { data: Float32Array.of(0.1, 0.2, 0.3), shape: [3] } };
    const bytes = toSafetensors(tensors, { versions: JSON.stringify({ "m:0": 3 }) });
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    for (const input of [bytes, bytes.slice().buffer, shifted.subarray(3)]) {
      const set = fromSafetensors(input);
      expect(set.tensors).toEqual({ "fc1.weight": tensors["fc1.weight"].data, "fc1.bias": tensors["fc1.bias"].data });
      expect(set.shapes).toEqual({ "fc1.weight": [3, 4], "fc1.bias": [3] });
      expect(set.metadata).toEqual({ versions: '{"m:0":3}' });
    }
  });

  it("rounds F64 tensors to float32", () => {
    const f64 = new Uint8Array(Float64Array.of(0.1, 1e40).buffer);
    const set = fromSafetensors(handMade({ x: { dtype: "F64", shape: [2], data_offsets: [0, 16] } }, f64));
    expect(set.tensors.x).toEqual(Float32Array.of(0.1, Infinity));
  });

  it("reads the golden files the PyTorch script wrote", () => {
    const path = new URL("../golden/inputs.safetensors", import.meta.url);
    const set = fromSafetensors(new Uint8Array(readFileSync(path)));
    const reference = loadGolden("inputs.safetensors");
    expect(Object.keys(set.tensors).sort()).toEqual([...reference.tensors.keys()].sort());
    expect(set.shapes["n257/grads"]).toEqual([12, 257]);
    expect(set.metadata.steps).toBe("12");
  });

  it("refuses malformed files before reading any value", () => {
    const good = handMade({ x: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, le32(1, 2));
    const cases: [string, Uint8Array][] = [
      ["truncated data", good.subarray(0, good.length - 1)],
      ["shorter than the length", good.subarray(0, 5)],
      ["gap", handMade({ x: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, le32(1, 2))],
      ["overlap", handMade({ x: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, y: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, le32(1, 2))],
      ["shape and span disagree", handMade({ x: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, le32(1, 2))],
      ["unsupported dtype", handMade({ x: { dtype: "BF16", shape: [4], data_offsets: [0, 8] } }, le32(1, 2))],
    ];
    for (const [what, bytes] of cases) expect(() => fromSafetensors(bytes), what).toThrow(SafetensorsError);
  });
});
