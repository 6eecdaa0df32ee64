import { catalogClient, type CatalogBindings } from "../catalog/client";
import type { CatalogModel } from "../catalog/object";
import { refuse, RefusalError } from "../problems";
import { shardClient, type ShardBindings } from "../shard/client";
import type { ShardInfo } from "../shard/types";
import type { ModelLayout } from "./layout";
import { planModel, resolveManifest, shardInputOf, type ManifestInput, type ModelManifest } from "./manifest";
import { initPieces } from "./seeds";

/** The bindings the models layer works with: the shards and the catalog. */
export type ModelBindings = ShardBindings & CatalogBindings;

/** A model as the catalog holds it, parsed. */
export interface Model {
  name: string;
  manifest: ModelManifest;
  layout: ModelLayout;
  parameters: number;
  created_at: string;
}

const parsed = (m: CatalogModel): Model => ({ ...m, manifest: JSON.parse(m.manifest) as ModelManifest, layout: JSON.parse(m.layout) as ModelLayout });

/** The model named so, or not-found. */
export async function loadModel(env: ModelBindings, name: string): Promise<Model> {
  const found = await catalogClient(env).model(name);
  if (!found) return refuse("not-found", `no model named '${name}'`);
  return parsed(found);
}

/**
 * Creates a model: validates the manifest and every shard's configuration, records it in the
 * catalog, then creates its shards. Every step is idempotent, so a PUT that failed half way is
 * completed by sending it again; a different manifest under the same name is config-conflict.
 */
export async function createModel(env: ModelBindings, name: string, input: ManifestInput): Promise<{ created: boolean; model: Model; shards: ShardInfo[] }> {
  const manifest = resolveManifest(input);
  const plan = planModel(name, manifest);
  const parameters = manifest.tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  const catalog = catalogClient(env);
  const recorded = await catalog.registerModel({ name, manifest: JSON.stringify(manifest), layout: JSON.stringify(plan.layout), parameters });
  if (!recorded.created && recorded.model.manifest !== JSON.stringify(manifest)) {
    refuse("config-conflict", `model '${name}' exists with another manifest; DELETE it first to change it`);
  }
  const shards = await Promise.all(
    plan.layout.shards.map(
      async (s, i) => {
        const config = plan.shardConfigs[i]!;
        const init = initPieces(plan.layout, s.name, config.init);
        const options = { model: name, ...(init ? { init } : {}) };
        return (await shardClient(env, s.name).create(s.name, shardInputOf(manifest, plan.layout, s), false, options)).info;
      },
    ),
  );
  await catalog.registerShards(plan.layout.shards.map((s) => s.name), name);
  return { created: recorded.created, model: parsed(recorded.model), shards };
}

/** Deletes a model's shards, then its catalog entry (shards already gone are fine: a retry completes a delete). */
export async function deleteModel(env: ModelBindings, model: Model): Promise<void> {
  await Promise.all(
    model.layout.shards.map(async (s) => {
      try {
        await shardClient(env, s.name).destroy(model.name);
      } catch (e) {
        if (!(e instanceof RefusalError && e.code === "not-found")) throw e;
      }
    }),
  );
  await catalogClient(env).forgetModel(model.name);
}

/** The model as GET /v1/models/{model} answers it: its layout and every shard's version. */
export async function describeModel(env: ShardBindings, model: Model, infos?: ShardInfo[]) {
  const shards = infos ?? (await Promise.all(model.layout.shards.map((s) => shardClient(env, s.name).info())));
  return {
    name: model.name,
    parameters: model.parameters,
    shard_size: model.manifest.shard_size,
    tensors: model.layout.tensors,
    shards: shards.map((s) => ({ name: s.name, length: s.config.length, rule: s.config.rule, version: s.version, revision: s.revision })),
    created_at: model.created_at,
  };
}
