import type { Context } from "hono";
import type { CatalogModel } from "../../catalog/object";
import type { ModelLayout } from "../../models/layout";
import { planModel, resolveManifest, type ModelManifest } from "../../models/manifest";
import type { Outcome, ShardInfo } from "../../shard/types";
import { catalogStub } from "../catalog";
import { notFound, ProblemError } from "../problem";
import { refusing, unwrap } from "../refusals";
import { shardStub } from "../shards";
import type { EdgeEnv } from "../types";

/** A model as the catalog holds it, parsed. */
export interface Model {
  name: string;
  manifest: ModelManifest;
  layout: ModelLayout;
  parameters: number;
  created_at: string;
}

const parsed = (m: CatalogModel): Model => ({ ...m, manifest: JSON.parse(m.manifest) as ModelManifest, layout: JSON.parse(m.layout) as ModelLayout });

export async function loadModel(c: Context<EdgeEnv>, name: string): Promise<Model> {
  const found = await catalogStub(c).model(name);
  if (!found) throw notFound(`no model named '${name}'`);
  return parsed(found);
}

/**
 * Creates a model: validates the manifest and every shard's configuration, records it in the
 * catalog, then creates its shards. Every step is idempotent, so a PUT that failed half way is
 * completed by sending it again; a different manifest under the same name is 409.
 */
export async function createModel(c: Context<EdgeEnv>, name: string, input: unknown): Promise<{ created: boolean; model: Model; shards: ShardInfo[] }> {
  const manifest = refusing(() => resolveManifest(input));
  const plan = refusing(() => planModel(name, manifest));
  const parameters = manifest.tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  const catalog = catalogStub(c);
  const recorded = await catalog.registerModel({ name, manifest: JSON.stringify(manifest), layout: JSON.stringify(plan.layout), parameters });
  if (!recorded.created && recorded.model.manifest !== JSON.stringify(manifest)) {
    throw new ProblemError(409, "config-conflict", "Configuration Conflict", `model '${name}' exists with another manifest; DELETE it first to change it`);
  }
  const shards = await Promise.all(
    plan.layout.shards.map(async (s, i) => unwrap(await shardStub(c, s.name).create(s.name, { ...inputOf(manifest, s.config), length: plan.shardConfigs[i]!.length }, false)).info),
  );
  await catalog.registerShards(plan.layout.shards.map((s) => s.name), name);
  return { created: recorded.created, model: parsed(recorded.model), shards };
}

/** The configuration a shard of group `config` is created with (the manifest's, or an override's). */
const inputOf = (m: ModelManifest, config: number): Record<string, unknown> => (config === 0 ? m.config : m.overrides[config - 1]!.config);

/** Deletes a model's shards, then its catalog entry (shards already gone are fine: a retry completes a delete). */
export async function deleteModel(c: Context<EdgeEnv>, model: Model): Promise<void> {
  await Promise.all(
    model.layout.shards.map(async (s) => {
      // (The stub's type keeps only the value branch of Outcome: restore the union.)
      const outcome = (await shardStub(c, s.name).destroy()) as Outcome<unknown>;
      if (!outcome.ok && outcome.refusal.code !== "not-found") unwrap(outcome);
    }),
  );
  await catalogStub(c).forgetModel(model.name);
}

/** The model as GET /v1/models/{model} answers it: its layout and every shard's version. */
export async function describeModel(c: Context<EdgeEnv>, model: Model, infos?: ShardInfo[]) {
  const shards = infos ?? (await Promise.all(model.layout.shards.map(async (s) => unwrap(await shardStub(c, s.name).info()))));
  return {
    name: model.name,
    parameters: model.parameters,
    shard_size: model.manifest.shard_size,
    tensors: model.layout.tensors,
    shards: shards.map((s) => ({ name: s.name, length: s.config.length, rule: s.config.rule, version: s.version, revision: s.revision })),
    created_at: model.created_at,
  };
}

