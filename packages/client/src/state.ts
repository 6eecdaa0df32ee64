/**
 * A shard's optimizer state in and out as safetensors bytes (docs/state.md): the weights, every
 * slot under PyTorch's name, the step and the rule's scalars. `clients/python/shardstep/torch/state.py`
 * turns the same bytes into a torch.optim state dict and back.
 */
import { intHeader, jsonOf, stampOf } from "./answers.js";
import type { CallOptions, Context } from "./context.js";
import { bytesBody } from "./floats.js";
import { getModelState, getShardState, putModelState, putShardState } from "./generated/sdk.gen.js";
import type { ModelStateImport } from "./generated/types.gen.js";
import { newIdempotencyKey } from "./idempotency.js";
import { readBody, type ProgressCallback } from "./progress.js";
import { settle } from "./transport.js";

/** An exported state: the file's bytes and which state of the shard it is. */
export interface StateExport {
  bytes: Uint8Array;
  version: number;
  revision: number;
  step: number;
  /** The shard's revision, quoted: the If-Match of an import that replaces exactly this state. */
  etag: string;
}

export interface StateImportOptions extends CallOptions {
  /** The ETag the shard must be at (required once training has started). */
  ifMatch?: string;
  /** A retry with the same key and body imports nothing twice. Default: a new key per call, reused by its retries; `false` sends none. */
  idempotencyKey?: string | false;
}

export interface StateImportResult {
  version: number;
  revision: number;
  step: number;
  etag: string;
  /** The answer is the first import's (a retry of its Idempotency-Key). */
  replayed: boolean;
}

/** A model's exported state: the file's bytes (tensors `<tensor>`, `<tensor>#<slot>`, `<tensor>#step`, ...) and its ETag. */
export interface ModelStateExport {
  bytes: Uint8Array;
  /** The model's revision: the If-Match of an import that replaces exactly this state. */
  etag: string;
}

export interface StateCalls {
  /** The shard's optimizer state as a safetensors file. */
  exportState(name: string, options?: CallOptions & { onProgress?: ProgressCallback }): Promise<StateExport>;
  /** Imports a state file (as exportState answers it, or as the Python helper writes it) as one new version. */
  importState(name: string, bytes: Uint8Array, options?: StateImportOptions): Promise<StateImportResult>;
  /** A model's optimizer state as one safetensors file, per tensor. */
  exportModelState(name: string, options?: CallOptions & { onProgress?: ProgressCallback }): Promise<ModelStateExport>;
  /** Imports a model's state file: every shard its part, each as one new version (`ifMatch`: the model's ETag, once training has started). */
  importModelState(name: string, bytes: Uint8Array, options?: StateImportOptions): Promise<ModelStateImport & { etag: string }>;
}

/** The headers of an import: its Idempotency-Key (a new one unless given or `false`) and If-Match. */
function importHeaders(options: StateImportOptions): { key: string | undefined; headers: { "idempotency-key"?: string; "if-match"?: string } } {
  const key = options.idempotencyKey === false ? undefined : (options.idempotencyKey ?? newIdempotencyKey());
  return { key, headers: { ...(key === undefined ? {} : { "idempotency-key": key }), ...(options.ifMatch === undefined ? {} : { "if-match": options.ifMatch }) } };
}

export function stateCalls({ client, run }: Context): StateCalls {
  const path = (shard: string) => ({ shard });
  return {
    exportState: (name, options = {}) =>
      run(options, true, async (signal) => {
        const { response } = await settle(getShardState({ client, path: path(name), parseAs: "stream", signal }));
        const bytes = new Uint8Array(await readBody(response, options.onProgress));
        return { bytes, ...stampOf(response), step: intHeader(response, "x-shard-step") };
      }),

    importState(name, bytes, options = {}) {
      const { key, headers } = importHeaders(options);
      return run(options, key !== undefined, async (signal) => {
        const { response } = await settle(putShardState({ client, path: path(name), body: bytesBody(bytes), headers, parseAs: "stream", signal }));
        const { step } = jsonOf<{ step: number }>(await readBody(response));
        return { ...stampOf(response), step, replayed: response.headers.get("idempotent-replayed") === "true" };
      });
    },

    exportModelState: (name, options = {}) =>
      run(options, true, async (signal) => {
        const { response } = await settle(getModelState({ client, path: { model: name }, parseAs: "stream", signal }));
        return { bytes: new Uint8Array(await readBody(response, options.onProgress)), etag: response.headers.get("etag") ?? "" };
      }),

    importModelState(name, bytes, options = {}) {
      const { key, headers } = importHeaders(options);
      return run(options, key !== undefined, async (signal) => {
        const { response } = await settle(putModelState({ client, path: { model: name }, body: bytesBody(bytes), headers, parseAs: "stream", signal }));
        return { ...jsonOf<ModelStateImport>(await readBody(response)), etag: response.headers.get("etag") ?? "" };
      });
    },
  };
}
