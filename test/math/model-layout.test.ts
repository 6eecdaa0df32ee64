import { describe, expect, it } from "vitest";
import { encodeSafetensors } from "../../src/formats/safetensors";
import { readSafetensorsStream } from "../../src/formats/safetensors-stream";
import { layoutModel, sizeOf } from "../../src/models/layout";
import { checkHeader, gatherTensors, scatterInto } from "../../src/models/scatter";

const t = (name: string, shape: number[], config = 0) => ({ name, shape, config });

describe("layoutModel", () => {
  it.each([
    ["one small tensor", [t("a", [3])], 8, [[3, 0]]],
    ["tensors sharing a shard", [t("a", [3]), t("b", [2, 2])], 8, [[7, 0]]],
    ["a tensor split over shards", [t("a", [5, 4])], 8, [[8, 0], [8, 0], [4, 0]]],
    ["a tensor continuing where the last ended", [t("a", [6]), t("b", [5])], 8, [[8, 0], [3, 0]]],
    ["a new shard per configuration", [t("a", [2]), t("b", [2], 1), t("c", [2])], 8, [[2, 0], [2, 1], [2, 0]]],
  ] as const)("%s", (_label, tensors, size, shards) => {
    const layout = layoutModel("m", tensors.map((x) => ({ ...x, shape: [...x.shape] })), size);
    expect(layout.shards.map((s) => [s.length, s.config])).toEqual(shards);
    // Every element of every tensor is in exactly one place, and shards are filled without gaps.
    const used = new Map(layout.shards.map((s) => [s.name, new Array<number>(s.length).fill(0)]));
    for (const tensor of layout.tensors) {
      expect(tensor.pieces.reduce((n, p) => n + p.length, 0)).toBe(sizeOf(tensor.shape));
      let expected = 0;
      for (const p of tensor.pieces) {
        expect(p.offset).toBe(expected);
        expected += p.length;
        for (let i = 0; i < p.length; i++) used.get(p.shard)![p.shard_offset + i]! += 1;
      }
    }
    for (const counts of used.values()) expect(counts.every((n) => n === 1)).toBe(true);
  });
});

describe("safetensors, streamed into shards and gathered back", () => {
  const layout = layoutModel("m", [t("w", [3, 5]), t("b", [3]), t("e", [7])], 6);
  const tensors = {
    w: { shape: [3, 5], data: Float32Array.from({ length: 15 }, (_, i) => i + 0.5) },
    b: { shape: [3], data: Float32Array.from([-1, -2, -3]) },
    e: { shape: [7], data: Float32Array.from({ length: 7 }, (_, i) => 100 + i) },
  };
  const file = encodeSafetensors(tensors);

  /** The file as a stream of chunks of `size` bytes: every split point inside header and data. */
  const streamOf = (bytes: Uint8Array, size: number) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.byteLength; at += size) controller.enqueue(bytes.slice(at, at + size));
        controller.close();
      },
    });

  it.each([1, 3, 7, 64, 100_000])("puts every tensor back where it came from with chunks of %i bytes", async (size) => {
    const { buffers, sink } = scatterInto(layout);
    await readSafetensorsStream(streamOf(file, size), 1 << 20, (header) => {
      checkHeader(layout, header, "the gradient");
      return sink;
    });
    const vectors = new Map([...buffers].map(([shard, bytes]) => [shard, new Float32Array(bytes.buffer)]));
    const back = gatherTensors(layout, vectors);
    for (const [name, tensor] of Object.entries(tensors)) expect(Array.from(back[name]!.data), name).toEqual(Array.from(tensor.data));
  });

  it.each([
    ["a body over the limit", file, 100, /longer than 100 bytes/],
    ["a truncated body", file.subarray(0, file.byteLength - 4), 1 << 20, /ends after/],
    ["bytes past the data", new Uint8Array([...file, 1, 2, 3, 4]), 1 << 20, /runs past/],
  ] as const)("refuses %s", async (_label, bytes, limit, message) => {
    const { sink } = scatterInto(layout);
    await expect(readSafetensorsStream(streamOf(bytes, 16), limit, () => sink)).rejects.toThrow(message);
  });
});
