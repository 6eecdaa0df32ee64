/** A model's life: create (its tensors laid out on shards by the server), list, read, delete. */
import type { CallOptions, Context } from "./context.js";
import { deleteModel, getModel, listModels, putModel } from "./generated/sdk.gen.js";
import type { ModelInfo, ModelList, ModelManifest, ModelShardConfig } from "./generated/types.gen.js";
import { isShardstepProblem } from "./problem.js";
import { settle } from "./transport.js";

/** A shard configuration without `length` (the model's layout sets it), typed per rule. */
export type { ModelShardConfig };

/** What PUT /v1/models/{model} takes: the tensors, and how each is trained (`config`, unless an override matches it). */
export type ModelManifestInput = ModelManifest;

export type ModelSummary = ModelList["models"][number];

export interface ModelCalls {
  /** PUT: creates the model and its shards (created: true) or finds it with this manifest already (false); another manifest is a 409. */
  createModel(name: string, manifest: ModelManifestInput, options?: CallOptions): Promise<{ created: boolean; info: ModelInfo }>;
  /** The models the token can see, narrowed to names starting with `prefix`. */
  listModels(options?: CallOptions & { prefix?: string }): Promise<ModelSummary[]>;
  /** The tensors, their layout on shards, and every shard's version and revision. */
  getModel(name: string, options?: CallOptions): Promise<ModelInfo>;
  /** Deletes the model and its shards; a retry that finds it gone already counts as done. */
  deleteModel(name: string, options?: CallOptions): Promise<void>;
}

export function modelCalls({ client, run }: Context): ModelCalls {
  const path = (model: string) => ({ model });
  return {
    createModel: (name, manifest, options) =>
      run(options, true, async (signal) => {
        const { data, response } = await settle(putModel({ client, path: path(name), body: manifest, signal }));
        return { created: response.status === 201, info: data };
      }),

    listModels: (options = {}) =>
      run(options, true, async (signal) => {
        const query = options.prefix === undefined ? undefined : { prefix: options.prefix };
        return (await settle(listModels({ client, query, signal }))).data.models;
      }),

    getModel: (name, options) => run(options, true, async (signal) => (await settle(getModel({ client, path: path(name), signal }))).data),

    deleteModel: (name, options) =>
      run(options, true, async (signal, attempt) => {
        try {
          await settle(deleteModel({ client, path: path(name), signal }));
        } catch (e) {
          if (!(attempt > 1 && isShardstepProblem(e, "not-found"))) throw e;
        }
      }),
  };
}
