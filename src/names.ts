import { MAX_AVERAGE_NAME_LENGTH, MAX_MODEL_NAME_LENGTH, MAX_SHARD_NAME_LENGTH, MAX_TENSOR_NAME_LENGTH } from "./limits";

/**
 * The names of things, as patterns (their lengths are limits: src/limits.ts). A model's shards are
 * named `<model>:<index>`; model names have no ':' so that no model's shard can be named like
 * another model's.
 */

/** Shard names: what a shard's Durable Object is named after. */
export const SHARD_NAME = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,${MAX_SHARD_NAME_LENGTH - 1}}$`);

export const MODEL_NAME = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${MAX_MODEL_NAME_LENGTH - 1}}$`);

/** Tensor names as PyTorch state dicts write them ("encoder.layers.0.weight"). */
export const TENSOR_NAME = new RegExp(`^[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,${MAX_TENSOR_NAME_LENGTH - 1}}$`);

/** Names of a shard's running averages (keys of its configuration). */
export const AVERAGE_NAME = new RegExp(`^[a-z0-9][a-z0-9_-]{0,${MAX_AVERAGE_NAME_LENGTH - 1}}$`);

export const shardNameOf = (model: string, index: number): string => `${model}:${index}`;
