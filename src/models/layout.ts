import { shardNameOf } from "../names";

/** Where part of a tensor lives: elements [offset, offset + length) of the tensor (flattened, row-major) at `shard_offset` of `shard`. */
export interface Piece {
  shard: string;
  offset: number;
  length: number;
  shard_offset: number;
}

export interface TensorLayout {
  name: string;
  shape: number[];
  /** Which configuration of the model the tensor is trained with (0: the model's, i: override i). */
  config: number;
  pieces: Piece[];
}

export interface ShardLayout {
  name: string;
  length: number;
  config: number;
}

export interface ModelLayout {
  tensors: TensorLayout[];
  shards: ShardLayout[];
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Packs tensors, in manifest order, into shards of at most `shardSize` floats: consecutive tensors
 * with the same configuration share a shard, a tensor that does not fit continues in the next
 * one, and a change of configuration starts a new shard (a shard has one rule).
 */
export function layoutModel(model: string, tensors: readonly { name: string; shape: number[]; config: number }[], shardSize: number): ModelLayout {
  const shards: ShardLayout[] = [];
  const out: TensorLayout[] = [];
  let current: ShardLayout | undefined;
  for (const t of tensors) {
    const pieces: Piece[] = [];
    let offset = 0;
    const size = sizeOf(t.shape);
    while (offset < size) {
      if (!current || current.config !== t.config || current.length === shardSize) {
        current = { name: shardNameOf(model, shards.length), length: 0, config: t.config };
        shards.push(current);
      }
      const length = Math.min(shardSize - current.length, size - offset);
      pieces.push({ shard: current.name, offset, length, shard_offset: current.length });
      current.length += length;
      offset += length;
    }
    out.push({ name: t.name, shape: [...t.shape], config: t.config, pieces });
  }
  return { tensors: out, shards };
}
