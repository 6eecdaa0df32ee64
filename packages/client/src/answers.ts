/** What the answers of the weights and gradients routes carry, read from their headers and bodies. */
import { floatsOf } from "./floats.js";

export interface VectorResult {
  values: Float32Array;
  version: number;
  revision: number;
  offset: number;
  /** The ETag of the weights' revision, for If-Match on uploads and If-None-Match on long polls. */
  etag: string;
}

export interface PushResult {
  /** The version this push produced: for a replayed Idempotency-Key, the one of the first answer. */
  version: number;
  /** The updated weights of the pushed range, at version `weightsVersion`. */
  weights: Float32Array;
  /** The version the weights are at: `version`, except for replays (the current version then). */
  weightsVersion: number;
  revision: number;
  /** The learning rate the update used. */
  lr: number;
  /** True when this answered a retry of an Idempotency-Key (also one the client sent by itself). */
  replayed: boolean;
  offset: number;
}

export interface WeightsStamp {
  version: number;
  revision: number;
  etag: string;
}

export function intHeader(response: Response, name: string): number {
  const value = response.headers.get(name);
  const n = value === null ? NaN : Number(value);
  if (!Number.isInteger(n)) throw new TypeError(`shardstep: the answer has no integer ${name} header (got ${value})`);
  return n;
}

export function stampOf(response: Response): WeightsStamp {
  return { version: intHeader(response, "x-shard-version"), revision: intHeader(response, "x-shard-revision"), etag: response.headers.get("etag") ?? "" };
}

export function vectorOf(bytes: ArrayBuffer, response: Response): VectorResult {
  const { version, revision, etag } = stampOf(response);
  return { values: floatsOf(bytes), version, revision, offset: Number(response.headers.get("x-offset") ?? 0), etag };
}

export function pushResultOf(bytes: ArrayBuffer, response: Response): PushResult {
  if (response.status === 202) {
    throw new TypeError(`shardstep: the shard trains in rounds: the push was counted in round ${response.headers.get("x-round")}; use pushToRound`);
  }
  // A replay answers the current weights (X-Shard-Version is theirs); X-Push-Version is the
  // version the push produced.
  return {
    version: intHeader(response, "x-push-version"),
    weights: floatsOf(bytes),
    weightsVersion: intHeader(response, "x-shard-version"),
    revision: intHeader(response, "x-shard-revision"),
    lr: Number(response.headers.get("x-learning-rate")),
    replayed: response.headers.get("idempotent-replayed") === "true",
    offset: Number(response.headers.get("x-offset") ?? 0),
  };
}

export function jsonOf<T>(bytes: ArrayBuffer): T {
  return JSON.parse(new TextDecoder().decode(bytes)) as T;
}
