/**
 * A shard's optimizer state in and out as safetensors bytes (docs/state.md): the weights, every
 * slot under PyTorch's name, the step and the rule's scalars. `python/shardstep/torch_state.py`
 * turns the same bytes into a torch.optim state dict and back.
 */
import { intHeader, jsonOf, stampOf } from "./answers.js";
import type { CallOptions, Context } from "./context.js";
import { bytesBody } from "./floats.js";
import { getShardState, putShardState } from "./generated/sdk.gen.js";
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

export interface StateCalls {
  /** The shard's optimizer state as a safetensors file. */
  exportState(name: string, options?: CallOptions & { onProgress?: ProgressCallback }): Promise<StateExport>;
  /** Imports a state file (as exportState answers it, or as the Python helper writes it) as one new version. */
  importState(name: string, bytes: Uint8Array, options?: StateImportOptions): Promise<StateImportResult>;
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
      const key = options.idempotencyKey === false ? undefined : (options.idempotencyKey ?? newIdempotencyKey());
      const headers = { ...(key === undefined ? {} : { "idempotency-key": key }), ...(options.ifMatch === undefined ? {} : { "if-match": options.ifMatch }) };
      return run(options, key !== undefined, async (signal) => {
        const { response } = await settle(putShardState({ client, path: path(name), body: bytesBody(bytes), headers, parseAs: "stream", signal }));
        const { step } = jsonOf<{ step: number }>(await readBody(response));
        return { ...stampOf(response), step, replayed: response.headers.get("idempotent-replayed") === "true" };
      });
    },
  };
}
