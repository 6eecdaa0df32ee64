/**
 * A model's tensors on the wire, as safetensors: gradient pushes, weights and averages. Tensors go
 * in as Float32Arrays (with their shapes) or as raw safetensors bytes, and come back as both.
 */
import type { CallOptions, Context } from "./context.js";
import { bytesBody } from "./floats.js";
import { getModelAverage, getModelPoint, getModelWeights, pushModelGradient } from "./generated/sdk.gen.js";
import type { ModelPushSummary } from "./generated/types.gen.js";
import { jsonOf, pointIsWeightsOf } from "./answers.js";
import { idempotencyKeyOf, pushHeaders, uploadReporter, type PushCommonOptions } from "./push-options.js";
import { readBody, type ProgressCallback } from "./progress.js";
import { fromSafetensors, toSafetensors, type TensorSet, type TensorsInput } from "./safetensors.js";
import { settle } from "./transport.js";

/** A model's tensors as answered: decoded, the safetensors bytes they came in, and their versions. */
export interface ModelTensors extends TensorSet {
  bytes: Uint8Array;
  /** Every shard's version (`__metadata__.versions`). */
  versions: Record<string, number>;
  /** The shards' version when they all agree (X-Model-Version). */
  version: number | undefined;
  /** The model's revision: a hash of its shards' revisions. */
  etag: string;
  /**
   * False when the tensors are the evaluation point and it is distinct from the weights on some
   * tensor (X-Point: distinct: a push answer or getModelPoint of a look-ahead rule); true otherwise.
   */
  pointIsWeights: boolean;
}

export interface ModelDownloadOptions extends CallOptions {
  /** Called as the body arrives. */
  onProgress?: ProgressCallback;
}

/** As for shard pushes; the key also lets a retry after a partial failure (502) complete the push without applying anything twice. */
export type ModelPushOptions = PushCommonOptions;

/**
 * A model push's answer: the updated model, where the next gradient is to be taken (per tensor the
 * point where a look-ahead rule's is distinct from the weights: `pointIsWeights`). In rounds mode, while the shards' rounds are open, the
 * push is counted, not applied: `receipts` holds every shard's summary with its round's receipt,
 * and there are no tensors.
 */
export interface ModelPushResult extends ModelTensors {
  receipts?: ModelPushSummary;
}

/** A rounds-mode model push: the updated model once every shard's round has closed, else the shards' receipts. */
export type ModelRoundPushResult = ({ closed: true } & ModelTensors) | { closed: false; summary: ModelPushSummary };

export interface ModelTensorCalls {
  /**
   * Pushes the gradient of every tensor of the model (Float32Arrays with their shapes, or
   * safetensors bytes); answers the updated model (in rounds mode, while the rounds stay open,
   * the shards' `receipts`).
   */
  pushModelGradients(name: string, gradients: TensorsInput | Uint8Array, options?: ModelPushOptions): Promise<ModelPushResult>;
  /** Rounds mode: contributes to the shards' open rounds (`clientId` required). */
  pushModelToRound(name: string, deltas: TensorsInput | Uint8Array, options: ModelPushOptions & { clientId: string }): Promise<ModelRoundPushResult>;
  getModelWeights(name: string, options?: ModelDownloadOptions): Promise<ModelTensors>;
  getModelAverage(name: string, average: string, options?: ModelDownloadOptions): Promise<ModelTensors>;
  /** Where the model's next gradient is to be taken, per tensor (the weights for most rules); every push answers the next one. */
  getModelPoint(name: string, options?: ModelDownloadOptions): Promise<ModelTensors>;
}

/** The answer to a push that was counted in open rounds: no tensors yet. */
const noTensors = (): ModelTensors => ({ tensors: {}, shapes: {}, metadata: {}, bytes: new Uint8Array(0), versions: {}, version: undefined, etag: "", pointIsWeights: true });

async function tensorsOf(response: Response, onProgress: ProgressCallback | undefined): Promise<ModelTensors> {
  const bytes = new Uint8Array(await readBody(response, onProgress));
  const set = fromSafetensors(bytes);
  const versions = set.metadata.versions === undefined ? {} : (JSON.parse(set.metadata.versions) as Record<string, number>);
  const version = response.headers.get("x-model-version");
  return { ...set, bytes, versions, version: version === null ? undefined : Number(version), etag: response.headers.get("etag") ?? "", pointIsWeights: pointIsWeightsOf(response) };
}

export function modelTensorCalls({ client, run }: Context): ModelTensorCalls {
  const path = (model: string) => ({ model });

  function push(name: string, gradients: TensorsInput | Uint8Array, options: ModelPushOptions) {
    const key = idempotencyKeyOf(options);
    const bytes = gradients instanceof Uint8Array ? gradients : toSafetensors(gradients);
    const body = bytesBody(bytes);
    const headers = pushHeaders(options, key);
    const upload = uploadReporter(options, bytes.byteLength);
    return run(options, key !== undefined, async (signal) => {
      upload(0);
      const { response } = await settle(pushModelGradient({ client, path: path(name), body, headers, parseAs: "stream", signal }));
      upload(bytes.byteLength);
      if (response.status === 202) return { closed: false as const, summary: jsonOf<ModelPushSummary>(await readBody(response)) };
      return { closed: true as const, ...(await tensorsOf(response, options.onProgress)) };
    });
  }

  return {
    async pushModelGradients(name, gradients, options = {}) {
      const result = await push(name, gradients, options);
      if (!result.closed) return { ...noTensors(), receipts: result.summary };
      const { closed: _, ...tensors } = result;
      return tensors;
    },

    pushModelToRound: (name, deltas, options) => push(name, deltas, options),

    getModelWeights: (name, options = {}) =>
      run(options, true, async (signal) => tensorsOf((await settle(getModelWeights({ client, path: path(name), parseAs: "stream", signal }))).response, options.onProgress)),

    getModelPoint: (name, options = {}) =>
      run(options, true, async (signal) => tensorsOf((await settle(getModelPoint({ client, path: path(name), parseAs: "stream", signal }))).response, options.onProgress)),

    getModelAverage: (name, average, options = {}) =>
      run(options, true, async (signal) =>
        tensorsOf((await settle(getModelAverage({ client, path: { model: name, name: average }, parseAs: "stream", signal }))).response, options.onProgress),
      ),
  };
}
