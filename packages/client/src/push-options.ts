/** What shard and model pushes share: their options, their headers, and how their upload is reported. */
import type { CallOptions } from "./context.js";
import { newIdempotencyKey } from "./idempotency.js";
import type { ProgressCallback } from "./progress.js";

export interface PushCommonOptions extends CallOptions {
  /**
   * A retry with the same key (and the same body) applies nothing and answers the first outcome.
   * Default: a new random key per call, reused by its retries. `false` sends none (and then a push
   * is retried only when the server surely refused it: 429, 503).
   */
  idempotencyKey?: string | false;
  /** The version the gradient was computed at (staleness). */
  baseVersion?: number;
  /** Who pushes (rate limits and rounds count per client). */
  clientId?: string;
  /** Samples behind the gradient (its weight in averaging reducers). */
  sampleCount?: number;
  /** Rounds mode: seconds to wait for the round to close (Prefer: wait, at most 30). */
  waitSeconds?: number;
  /** Upload at its start and end (a fetch body cannot report more, portably), then the answer as it arrives. */
  onProgress?: ProgressCallback;
}

/** The headers of a push (a type literal, so that it fits the generated functions' header maps). */
export type PushHeaders = {
  "idempotency-key"?: string;
  "x-base-version"?: number;
  "x-client-id"?: string;
  "x-sample-count"?: number;
  "x-loss"?: string;
  "x-point-revision"?: number;
  prefer?: string;
  "accept-encoding"?: string;
};

/** The key a push sends on every attempt: the caller's, a new one, or none (`false`). */
export function idempotencyKeyOf(options: PushCommonOptions): string | undefined {
  return options.idempotencyKey === false ? undefined : (options.idempotencyKey ?? newIdempotencyKey());
}

export function pushHeaders(options: PushCommonOptions, key: string | undefined, minimal = false): PushHeaders {
  // A push's answer is raw floats or a few hundred bytes of JSON: compressing it costs both ends
  // more than it saves. (Browsers keep Accept-Encoding for themselves and drop this.)
  const headers: PushHeaders = { "accept-encoding": "identity" };
  if (key !== undefined) headers["idempotency-key"] = key;
  if (options.baseVersion !== undefined) headers["x-base-version"] = options.baseVersion;
  if (options.clientId !== undefined) headers["x-client-id"] = options.clientId;
  if (options.sampleCount !== undefined) headers["x-sample-count"] = options.sampleCount;
  const prefer = [minimal ? "return=minimal" : "", options.waitSeconds ? `wait=${options.waitSeconds}` : ""].filter(Boolean);
  if (prefer.length > 0) headers.prefer = prefer.join(", ");
  return headers;
}

/** Reports an upload of `total` bytes as sent (`loaded`): 0 before, `total` once answered. */
export function uploadReporter(options: PushCommonOptions, total: number): (loaded: number) => void {
  return (loaded) => options.onProgress?.({ phase: "upload", loaded, total });
}
