import { resolveShardConfig, type ShardConfig } from "../shard/config";
import { DEFAULT_MODEL_SHARD_SIZE, MAX_MODEL_PARAMETERS, MAX_MODEL_SHARDS, MAX_MODEL_TENSORS, MAX_SHARD_LENGTH } from "../shard/limits";
import { refuse } from "../shard/refusal";
import { globMatcher } from "./glob";
import { layoutModel, sizeOf, type ModelLayout } from "./layout";
import { TENSOR_NAME } from "./names";

/** What a client declares: its tensors, how large a shard may be, and how each tensor is trained. */
export interface ModelManifest {
  tensors: { name: string; shape: number[]; dtype: "F32" }[];
  shard_size: number;
  /** A shard configuration without `length` (docs/federated.md, openapi.yaml ShardConfigInput). */
  config: Record<string, unknown>;
  /** Per-tensor configurations: the first whose `match` (a glob on tensor names) fits wins. */
  overrides: { match: string; config: Record<string, unknown> }[];
}

const invalid = (message: string): never => refuse("invalid-manifest", message);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function resolveTensors(input: unknown): ModelManifest["tensors"] {
  if (!Array.isArray(input) || input.length === 0) return invalid("'tensors' must be a non-empty array of { name, shape }");
  if (input.length > MAX_MODEL_TENSORS) invalid(`a model has at most ${MAX_MODEL_TENSORS} tensors, got ${input.length}`);
  const seen = new Set<string>();
  let total = 0;
  return input.map((t, i) => {
    if (!isObject(t)) return invalid(`tensors[${i}] must be an object { name, shape }`);
    const { name, shape, dtype = "F32", ...rest } = t;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined) invalid(`tensors[${i}]: unknown field '${extra}'; known: name, shape, dtype`);
    if (typeof name !== "string" || !TENSOR_NAME.test(name)) invalid(`tensors[${i}]: name ${JSON.stringify(name)} must match ${TENSOR_NAME.source}`);
    if (seen.has(name as string)) invalid(`tensors[${i}]: '${name}' is named twice`);
    seen.add(name as string);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 1)) {
      invalid(`tensor '${name}': shape must be an array of positive integers, got ${JSON.stringify(shape)}`);
    }
    if (dtype !== "F32") invalid(`tensor '${name}': dtype must be "F32" (the optimizer's state is float32), got ${JSON.stringify(dtype)}`);
    total += sizeOf(shape as number[]);
    if (total > MAX_MODEL_PARAMETERS) invalid(`the model has more than ${MAX_MODEL_PARAMETERS} parameters (at tensor '${name}')`);
    return { name: name as string, shape: shape as number[], dtype: "F32" as const };
  });
}

function shardConfigInput(input: unknown, where: string): Record<string, unknown> {
  if (!isObject(input)) return invalid(`${where} must be a shard configuration (an object with at least 'rule')`);
  if ("length" in input) invalid(`${where}: 'length' is set by the model's layout, not by the manifest`);
  return input;
}

/** Validates a manifest as a client sends it (PUT /v1/models/{model}) and fills in its defaults. */
export function resolveManifest(input: unknown): ModelManifest {
  if (!isObject(input)) return invalid("the manifest must be an object { tensors, config, shard_size?, overrides? }");
  const { tensors, config, shard_size: shardSize = DEFAULT_MODEL_SHARD_SIZE, overrides = [], ...rest } = input;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) invalid(`unknown field '${extra}'; known: tensors, shard_size, config, overrides`);
  if (!Number.isSafeInteger(shardSize) || (shardSize as number) < 1 || (shardSize as number) > MAX_SHARD_LENGTH) {
    invalid(`'shard_size' must be an integer from 1 to ${MAX_SHARD_LENGTH}, got ${JSON.stringify(shardSize)}`);
  }
  if (!Array.isArray(overrides)) invalid("'overrides' must be an array of { match, config }");
  return {
    tensors: resolveTensors(tensors),
    shard_size: shardSize as number,
    config: shardConfigInput(config, "'config'"),
    overrides: (overrides as unknown[]).map((o, i) => {
      if (!isObject(o) || typeof o.match !== "string" || o.match === "") invalid(`overrides[${i}] must be { match: "<glob on tensor names>", config }`);
      const { match, config: c, ...more } = o as Record<string, unknown>;
      if (Object.keys(more).length > 0) invalid(`overrides[${i}]: unknown field '${Object.keys(more)[0]}'; known: match, config`);
      return { match: match as string, config: shardConfigInput(c, `overrides[${i}].config`) };
    }),
  };
}

/** A model laid out on shards, with the resolved configuration of every shard. */
export interface ModelPlan {
  layout: ModelLayout;
  shardConfigs: ShardConfig[];
}

/** Which configuration trains each tensor, the layout, and every shard's full configuration (refused here if invalid). */
export function planModel(model: string, manifest: ModelManifest): ModelPlan {
  const matchers = manifest.overrides.map((o) => globMatcher(o.match));
  const configs = [manifest.config, ...manifest.overrides.map((o) => o.config)];
  const tensors = manifest.tensors.map((t) => ({ ...t, config: matchers.findIndex((m) => m(t.name)) + 1 }));
  const layout = layoutModel(model, tensors, manifest.shard_size);
  if (layout.shards.length > MAX_MODEL_SHARDS) {
    invalid(`the layout needs ${layout.shards.length} shards; a model has at most ${MAX_MODEL_SHARDS}: raise 'shard_size' or group tensors with the same configuration`);
  }
  const shardConfigs = layout.shards.map((s) => resolveShardConfig({ ...configs[s.config], length: s.length }));
  return { layout, shardConfigs };
}
