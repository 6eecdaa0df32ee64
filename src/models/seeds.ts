import { fmix32 } from "../murmur3";
import type { InitSpec } from "../optim";
import type { InitPiece } from "../shard/types";
import type { ModelLayout } from "./layout";

/**
 * The seed of a tensor's initial draws: the model's seed and the tensor's name (FNV-1a over its
 * characters), mixed. Each tensor gets its own stream; the same manifest gives the same weights.
 */
export function tensorSeed(modelSeed: number, tensor: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < tensor.length; i++) h = Math.imul(h ^ tensor.charCodeAt(i), 0x01000193);
  return fmix32((h ^ fmix32(modelSeed >>> 0)) >>> 0);
}

/**
 * Where each piece of the shard draws its initial weights: its tensor's stream, as many draws in
 * as the piece starts into its tensor, so a tensor split across shards is drawn as if whole.
 * Undefined for zeros, which draw nothing.
 */
export function initPieces(layout: ModelLayout, shard: string, init: InitSpec): InitPiece[] | undefined {
  if (init.kind === "zeros") return undefined;
  return layout.tensors.flatMap((t) =>
    t.pieces.filter((p) => p.shard === shard).map((p) => ({ offset: p.shard_offset, length: p.length, seed: tensorSeed(init.seed, t.name), skip: p.offset })),
  );
}
