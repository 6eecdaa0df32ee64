/** A shard's weights and averages: downloads with progress, long polls, chunked uploads. */
import { pointOf, stampOf, vectorOf, type PointResult, type VectorResult, type WeightsStamp } from "./answers.js";
import type { CallOptions, Context } from "./context.js";
import { floatsBody } from "./floats.js";
import { getAverage, getPoint, getWeights, putWeights } from "./generated/sdk.gen.js";
import { readBody, type ProgressCallback } from "./progress.js";
import { settle } from "./transport.js";

/** The largest upload sent as one request: 262,144 floats (1 MiB), the server's page size. */
export const DEFAULT_CHUNK_FLOATS = 262_144;

export interface DownloadOptions extends CallOptions {
  /** First element of the range (default 0). */
  offset?: number;
  /** Number of elements (default: to the end). */
  length?: number;
  /** Called as the body arrives. */
  onProgress?: ProgressCallback;
}

export interface UploadOptions extends CallOptions {
  /** Where the values start in the shard (default 0). */
  offset?: number;
  /**
   * The ETag the shard must be at (required once training has started). A chunked upload sends
   * it with the first chunk and each later chunk with the ETag the previous one answered.
   */
  ifMatch?: string;
  /** Values per request (default DEFAULT_CHUNK_FLOATS); larger uploads go as consecutive ranges. */
  chunkFloats?: number;
  /** Called before the first chunk and after each one. */
  onProgress?: ProgressCallback;
}

export interface WeightCalls {
  getWeights(name: string, options?: DownloadOptions): Promise<VectorResult>;
  /** Long poll: the weights once their ETag differs from `etag`, or null after `waitSeconds` (≤ 30). */
  waitForWeights(name: string, etag: string, waitSeconds: number, options?: CallOptions & { onProgress?: ProgressCallback }): Promise<VectorResult | null>;
  getAverage(name: string, average: string, options?: DownloadOptions): Promise<VectorResult>;
  /**
   * Where the next gradient is to be taken (the weights for most rules; the look-ahead x + μ·v of
   * SGD's look-ahead Nesterov). Every push answers the next one as its `point`.
   */
  getPoint(name: string, options?: DownloadOptions): Promise<PointResult>;
  /**
   * Uploads weights (a range with `offset`), in chunks of `chunkFloats`. Each chunk is its own
   * request (a PUT of its range, retried on its own); what a failure leaves is the chunks before it.
   */
  uploadWeights(name: string, values: Float32Array, options?: UploadOptions): Promise<WeightsStamp>;
}

const rangeOf = ({ offset, length }: DownloadOptions) => ({ ...(offset === undefined ? {} : { offset }), ...(length === undefined ? {} : { length }) });

export function weightCalls({ client, run }: Context): WeightCalls {
  const path = (shard: string) => ({ shard });

  async function putChunk(name: string, values: Float32Array, offset: number, ifMatch: string | undefined, options: CallOptions): Promise<WeightsStamp> {
    return run(options, true, async (signal) => {
      const headers = ifMatch === undefined ? undefined : { "if-match": ifMatch };
      const query = offset === 0 ? undefined : { offset };
      const { response } = await settle(putWeights({ client, path: path(name), body: floatsBody(values), query, headers, signal }));
      return stampOf(response);
    });
  }

  return {
    getWeights: (name, options = {}) =>
      run(options, true, async (signal) => {
        const { response } = await settle(getWeights({ client, path: path(name), query: rangeOf(options), parseAs: "stream", signal }));
        return vectorOf(await readBody(response, options.onProgress), response);
      }),

    waitForWeights: (name, etag, waitSeconds, options = {}) =>
      run(options, true, async (signal) => {
        const headers = { "if-none-match": etag, prefer: `wait=${waitSeconds}` };
        const { response } = await settle(getWeights({ client, path: path(name), headers, parseAs: "stream", signal }));
        if (response.status === 304) return null;
        return vectorOf(await readBody(response, options.onProgress), response);
      }),

    getAverage: (name, average, options = {}) =>
      run(options, true, async (signal) => {
        const { response } = await settle(getAverage({ client, path: { shard: name, name: average }, query: rangeOf(options), parseAs: "stream", signal }));
        return vectorOf(await readBody(response, options.onProgress), response);
      }),

    getPoint: (name, options = {}) =>
      run(options, true, async (signal) => {
        const { response } = await settle(getPoint({ client, path: path(name), query: rangeOf(options), parseAs: "stream", signal }));
        return pointOf(await readBody(response, options.onProgress), response);
      }),

    async uploadWeights(name, values, options = {}) {
      const chunk = options.chunkFloats ?? DEFAULT_CHUNK_FLOATS;
      if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`chunkFloats must be a positive integer, got ${chunk}`);
      const start = options.offset ?? 0;
      const total = values.byteLength;
      options.onProgress?.({ phase: "upload", loaded: 0, total });
      let ifMatch = options.ifMatch;
      let stamp: WeightsStamp;
      let i = 0;
      do {
        const part = values.subarray(i, i + chunk);
        stamp = await putChunk(name, part, start + i, ifMatch, options);
        if (ifMatch !== undefined) ifMatch = stamp.etag;
        i += part.length;
        options.onProgress?.({ phase: "upload", loaded: i * 4, total });
      } while (i < values.length);
      return stamp;
    },
  };
}
