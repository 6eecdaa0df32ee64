/**
 * A model's name, and the names of the shards it is laid out on: `<model>:<index>`. Model names
 * have no ':' so that no model's shard can be named like another model's.
 */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,111}$/;

/** Tensor names as PyTorch state dicts write them ("encoder.layers.0.weight"). */
export const TENSOR_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,255}$/;

export const shardNameOf = (model: string, index: number): string => `${model}:${index}`;
