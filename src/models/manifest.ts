import { resolveShardConfig, type ShardConfig } from "../config";
import { DEFAULT_MODEL_SHARD_SIZE, MAX_MODEL_OVERRIDES, MAX_MODEL_PARAMETERS, MAX_MODEL_SHARDS } from "../limits";
import { TENSOR_NAME } from "../names";
import { refuse } from "../problems";
import { globMatcher, globProblem } from "./glob";
import { getRule, isLbfgs, isRuleName } from "../optim";
import { layoutModel, sizeOf, type ModelLayout, type ShardLayout } from "./layout";

/**
 * A manifest as the request schema has shaped it (src/edge/schemas/models.ts: types, ranges, the
 * number of tensors, F32). What a shape cannot say is checked here, once: names, duplicates, the
 * model's size, its layout, every shard's configuration.
 */
export interface ManifestInput {
  tensors: { name: string; shape: number[]; dtype?: "F32" }[];
  shard_size?: number;
  /** A shard configuration without `length` (docs/federated.md, openapi.yaml ShardConfigInput). */
  config: Record<string, unknown>;
  /** Per-tensor configurations: the first whose `match` (a glob on tensor names) fits wins. */
  overrides?: { match: string; config: Record<string, unknown> }[];
}

/** A manifest with its defaults filled in, as the catalog keeps it. */
export interface ModelManifest {
  tensors: { name: string; shape: number[]; dtype: "F32" }[];
  shard_size: number;
  config: Record<string, unknown>;
  overrides: { match: string; config: Record<string, unknown> }[];
}

const invalid = (message: string): never => refuse("invalid-manifest", message);

function resolveTensors(tensors: ManifestInput["tensors"]): ModelManifest["tensors"] {
  const seen = new Set<string>();
  let total = 0;
  return tensors.map(({ name, shape }, i) => {
    if (!TENSOR_NAME.test(name)) invalid(`tensors[${i}]: name ${JSON.stringify(name)} must match ${TENSOR_NAME.source}`);
    if (seen.has(name)) invalid(`tensors[${i}]: '${name}' is named twice`);
    seen.add(name);
    total += sizeOf(shape);
    if (total > MAX_MODEL_PARAMETERS) invalid(`the model has more than ${MAX_MODEL_PARAMETERS} parameters (at tensor '${name}')`);
    return { name, shape, dtype: "F32" as const };
  });
}

function withoutLength(config: Record<string, unknown>, where: string): Record<string, unknown> {
  if ("length" in config) invalid(`${where}: 'length' is set by the model's layout, not by the manifest`);
  return config;
}

function resolveOverrides(overrides: NonNullable<ManifestInput["overrides"]>): ModelManifest["overrides"] {
  if (overrides.length > MAX_MODEL_OVERRIDES) invalid(`the manifest has ${overrides.length} overrides; at most ${MAX_MODEL_OVERRIDES}`);
  return overrides.map(({ match, config }, i) => {
    const problem = globProblem(match);
    if (problem) invalid(`overrides[${i}].match ${problem}: a glob on tensor names ('*' any run, '?' one character)`);
    return { match, config: withoutLength(config, `overrides[${i}].config`) };
  });
}

/** Checks what the manifest's shape cannot say and fills in its defaults. */
export function resolveManifest(input: ManifestInput): ModelManifest {
  return {
    tensors: resolveTensors(input.tensors),
    shard_size: input.shard_size ?? DEFAULT_MODEL_SHARD_SIZE,
    config: withoutLength(input.config, "'config'"),
    overrides: resolveOverrides(input.overrides ?? []),
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
  const tensors = manifest.tensors.map((t) => ({ ...t, config: matchers.findIndex((m) => m(t.name)) + 1 }));
  const layout = layoutModel(model, tensors, manifest.shard_size);
  if (layout.shards.length > MAX_MODEL_SHARDS) {
    invalid(`the layout needs ${layout.shards.length} shards; a model has at most ${MAX_MODEL_SHARDS}: raise 'shard_size' or group tensors with the same configuration`);
  }
  const shardConfigs = layout.shards.map((s) => resolveShardConfig(shardInputOf(manifest, layout, s)));
  const lbfgs = shardConfigs.findIndex((c) => isLbfgs(c.rule));
  if (lbfgs >= 0) {
    invalid(`rule lbfgs (shard ${layout.shards[lbfgs]!.name}): a model takes no lbfgs (its line search needs the model's whole loss and gradient in one closure call); create an lbfgs shard per parameter vector instead`);
  }
  return { layout, shardConfigs };
}

/**
 * The configuration input shard `s` is created with: its group's, its length, and for a rule that
 * takes the tensors' segments (normalized: one norm per tensor) the lengths of the tensor pieces it
 * holds, in order, unless the configuration gives `segments` itself.
 */
export function shardInputOf(manifest: ModelManifest, layout: ModelLayout, s: ShardLayout): Record<string, unknown> {
  const input: Record<string, unknown> = { ...shardConfigInput(manifest, s.config), length: s.length };
  const hyper = (input.hyper ?? {}) as Record<string, unknown>;
  if (typeof input.rule !== "string" || !isRuleName(input.rule) || !getRule(input.rule).segmented || "segments" in hyper) return input;
  const held = layout.tensors.flatMap((t) => t.pieces.filter((p) => p.shard === s.name)).sort((a, b) => a.shard_offset - b.shard_offset);
  return { ...input, hyper: { ...hyper, segments: held.map((p) => p.length) } };
}

/** The configuration a shard of group `config` is created with: the manifest's (0), or override `config - 1`'s. */
export const shardConfigInput = (m: ModelManifest, config: number): Record<string, unknown> => (config === 0 ? m.config : m.overrides[config - 1]!.config);
