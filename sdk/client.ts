/**
 * A thin TypeScript client of shardstep: Float32Array in, Float32Array out, refusals thrown as
 * `ShardstepProblem`. Built only on the functions that `npm run build:sdk` generates from
 * openapi.yaml into sdk/generated/ (@hey-api/openapi-ts, fetch client).
 *
 *   const api = createShardstep({ baseUrl: "http://127.0.0.1:8787", token });
 *   await api.createShard("mnist.w", { length: 1024, rule: "adam", hyper: { lr: 1e-3 } });
 *   const { version, weights } = await api.pushGradient("mnist.w", gradient, { idempotencyKey: "job7-step12" });
 *
 * Vectors travel as raw little-endian float32 (application/octet-stream): request bodies as Blobs
 * (what the generated types ask for), responses read with `parseAs: "arrayBuffer"` and viewed as
 * Float32Array without a copy. (Little-endian hosts only, which is every platform Node and browsers
 * run on in practice.)
 */
import { createClient, createConfig, type Client } from "./generated/client";
import {
  deleteShard as deleteShardOp,
  getAverage as getAverageOp,
  getHealth as getHealthOp,
  getShard as getShardOp,
  getShardHistory as getShardHistoryOp,
  getStatus as getStatusOp,
  getWeights as getWeightsOp,
  patchShard as patchShardOp,
  pushGradient as pushGradientOp,
  putShard as putShardOp,
  putWeights as putWeightsOp,
  reportMetric as reportMetricOp,
} from "./generated/sdk.gen";
import type {
  ConfigHistory,
  Health,
  MetricResult,
  Problem,
  PushGradientData,
  PushSummary,
  ShardConfigInput,
  ShardInfo,
  ShardPatch,
  ShardStatus,
  RoundReceipt,
} from "./generated/types.gen";

export type { ConfigHistory, Health, MetricResult, Problem, PushSummary, RoundReceipt, ShardConfigInput, ShardInfo, ShardPatch, ShardStatus };

/** An RFC 9457 problem answered by the server (any status ≥ 400), or an unreadable error answer. */
export class ShardstepProblem extends Error {
  override readonly name = "ShardstepProblem";
  /** The HTTP status. */
  readonly status: number;
  /** The problem type, e.g. "/problems/wrong-length" ("about:blank" when the body was no problem). */
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  /** The whole problem object with its extension members (e.g. `version`, `limit`), when there was one. */
  readonly problem: Problem | undefined;

  constructor(status: number, problem: Problem | undefined, fallback?: string) {
    const detail = problem?.detail ?? fallback ?? `HTTP ${status}`;
    super(`${status} ${problem?.type ?? ""} ${detail}`.replace(/\s+/g, " "));
    this.status = status;
    this.type = problem?.type ?? "about:blank";
    this.title = problem?.title ?? `HTTP ${status}`;
    this.detail = detail;
    this.problem = problem;
  }

  /** The last path segment of the type: "wrong-length" for "/problems/wrong-length". */
  get slug(): string {
    return this.type.slice(this.type.lastIndexOf("/") + 1);
  }
}

export interface ShardstepOptions {
  /** Where the API is, e.g. "http://127.0.0.1:8787". */
  baseUrl: string;
  /** A bearer token (see docs/auth.md), or a function that answers one per request. */
  token?: string | (() => string | Promise<string>);
  /** A fetch implementation (default: globalThis.fetch). */
  fetch?: typeof fetch;
}

export interface PushOptions {
  /** A retry with the same key (and the same gradient) applies nothing and answers the first outcome. */
  idempotencyKey?: string;
  /** The version the gradient was computed at (staleness). */
  baseVersion?: number;
  clientId?: string;
  sampleCount?: number;
  /** Where a partial gradient starts. */
  offset?: number;
  /** Rounds mode: seconds to wait for the push's round to close (Prefer: wait, at most 30). */
  waitSeconds?: number;
  signal?: AbortSignal;
}

/** A rounds-mode push: the new weights once its round has closed, else where it waits. */
export type RoundPushResult =
  | ({ closed: true; round: number } & PushResult)
  | { closed: false; round: number; receipt: RoundReceipt; summary: PushSummary };

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
  /** True when this answered a retry of an Idempotency-Key. */
  replayed: boolean;
  offset: number;
}

export interface VectorResult {
  values: Float32Array;
  version: number;
  revision: number;
  offset: number;
  /** The ETag of the weights' revision, for If-Match on uploads. */
  etag: string;
}

export interface Range {
  offset?: number;
  length?: number;
}

/** What a generated function answers with throwOnError off. */
type Fields<T> = { data?: T; error?: unknown; response?: Response } | undefined;

async function settle<T>(pending: Promise<Fields<T>>): Promise<{ data: T; response: Response }> {
  const result = await pending;
  const response = result?.response;
  if (!response) {
    // No answer at all (connection refused or reset, aborted): the fetch error itself.
    throw result?.error ?? new Error("shardstep: the request failed without a response");
  }
  if (!response.ok) throw problemOf(response, result.error);
  return { data: result.data as T, response };
}

function problemOf(response: Response, body: unknown): ShardstepProblem {
  if (body && typeof body === "object" && typeof (body as Problem).type === "string" && typeof (body as Problem).detail === "string") {
    return new ShardstepProblem(response.status, body as Problem);
  }
  const text = typeof body === "string" && body ? body.slice(0, 500) : undefined;
  return new ShardstepProblem(response.status, undefined, text ?? `${response.status} ${response.statusText}`);
}

/** A Float32Array's bytes as a Blob: the body type the generated functions take for octet-stream. */
export function floatsBlob(values: Float32Array): Blob {
  const bytes =
    values.buffer instanceof ArrayBuffer
      ? new Uint8Array(values.buffer, values.byteOffset, values.byteLength)
      : new Uint8Array(values.slice().buffer as ArrayBuffer);
  return new Blob([bytes], { type: "application/octet-stream" });
}

/** The Float32Array view of a body read with parseAs "arrayBuffer". */
export function floatsOf(data: unknown): Float32Array {
  if (!(data instanceof ArrayBuffer)) throw new TypeError(`shardstep: expected raw bytes, got ${Object.prototype.toString.call(data)}`);
  if (data.byteLength % 4 !== 0) throw new TypeError(`shardstep: ${data.byteLength} bytes are not a whole number of float32 values`);
  return new Float32Array(data);
}

const intHeader = (response: Response, name: string): number => {
  const value = response.headers.get(name);
  const n = value === null ? NaN : Number(value);
  if (!Number.isInteger(n)) throw new TypeError(`shardstep: the answer has no integer ${name} header (got ${value})`);
  return n;
};

function vectorOf(data: unknown, response: Response): VectorResult {
  return {
    values: floatsOf(data),
    version: intHeader(response, "x-shard-version"),
    revision: intHeader(response, "x-shard-revision"),
    offset: Number(response.headers.get("x-offset") ?? 0),
    etag: response.headers.get("etag") ?? "",
  };
}

function pushHeaders(options: PushOptions, minimal: boolean): NonNullable<PushGradientData["headers"]> {
  const headers: NonNullable<PushGradientData["headers"]> = {};
  if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey;
  if (options.baseVersion !== undefined) headers["x-base-version"] = options.baseVersion;
  if (options.clientId !== undefined) headers["x-client-id"] = options.clientId;
  if (options.sampleCount !== undefined) headers["x-sample-count"] = options.sampleCount;
  const prefer = [minimal ? "return=minimal" : "", options.waitSeconds ? `wait=${options.waitSeconds}` : ""].filter(Boolean);
  if (prefer.length > 0) headers.prefer = prefer.join(", ");
  return headers;
}

function pushResultOf(data: unknown, response: Response): PushResult {
  // A replay answers the current weights (X-Shard-Version is theirs); X-Push-Version is the
  // version the push produced.
  return {
    version: intHeader(response, "x-push-version"),
    weights: floatsOf(data),
    weightsVersion: intHeader(response, "x-shard-version"),
    revision: intHeader(response, "x-shard-revision"),
    lr: Number(response.headers.get("x-learning-rate")),
    replayed: response.headers.get("idempotent-replayed") === "true",
    offset: Number(response.headers.get("x-offset") ?? 0),
  };
}

export interface Shardstep {
  /** The generated client (base URL and auth set): for calls the wrapper does not cover. */
  readonly client: Client;
  health(): Promise<Health>;
  /** PUT: creates the shard (created: true) or finds it with this configuration already (false). */
  createShard(name: string, config: ShardConfigInput, options?: { replace?: boolean }): Promise<{ created: boolean; info: ShardInfo }>;
  getShard(name: string): Promise<ShardInfo>;
  patchShard(name: string, patch: ShardPatch): Promise<ShardInfo>;
  history(name: string): Promise<ConfigHistory>;
  /** Pushes a gradient; answers the version it produced and the updated weights of its range. */
  pushGradient(name: string, gradient: Float32Array, options?: PushOptions): Promise<PushResult>;
  /** Pushes a gradient with `Prefer: return=minimal`: the summary only, no weights travel back. */
  pushGradientSummary(name: string, gradient: Float32Array, options?: PushOptions): Promise<PushSummary>;
  /**
   * Rounds mode: contributes to the open round (X-Client-Id required: `clientId`). Answers the new
   * weights when the round closed (by this push, or while `waitSeconds` waited), else the receipt.
   */
  pushToRound(name: string, vector: Float32Array, options: PushOptions & { clientId: string }): Promise<RoundPushResult>;
  /** Mode, version, the open round, staleness statistics. */
  getStatus(name: string): Promise<ShardStatus>;
  getWeights(name: string, range?: Range): Promise<VectorResult>;
  /** Long poll: the weights once their ETag differs from `etag`, or null after `waitSeconds` (≤ 30). */
  waitForWeights(name: string, etag: string, waitSeconds: number): Promise<VectorResult | null>;
  getAverage(name: string, average: string, range?: Range): Promise<VectorResult>;
  /** Uploads weights (a range with `offset`); after training started, `ifMatch` must be the current ETag. */
  uploadWeights(name: string, values: Float32Array, options?: { offset?: number; ifMatch?: string }): Promise<{ version: number; revision: number; etag: string }>;
  reportMetric(name: string, value: number, clientId?: string): Promise<MetricResult>;
  deleteShard(name: string): Promise<void>;
}

export function createShardstep(options: ShardstepOptions): Shardstep {
  const client = createClient(
    createConfig({
      baseUrl: options.baseUrl,
      ...(options.token === undefined ? {} : { auth: options.token }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    }),
  );
  const path = (shard: string) => ({ shard });

  function pushBytes(name: string, gradient: Float32Array, opts: PushOptions) {
    return settle(
      pushGradientOp({
        client,
        path: path(name),
        body: floatsBlob(gradient),
        headers: pushHeaders(opts, false),
        query: opts.offset === undefined ? undefined : { offset: opts.offset },
        parseAs: "arrayBuffer",
        signal: opts.signal,
      }),
    );
  }

  async function pushSummary(name: string, gradient: Float32Array, opts: PushOptions): Promise<PushSummary> {
    const { data } = await settle(
      pushGradientOp({
        client,
        path: path(name),
        body: floatsBlob(gradient),
        headers: pushHeaders(opts, true),
        query: opts.offset === undefined ? undefined : { offset: opts.offset },
        parseAs: "json",
        signal: opts.signal,
      }),
    );
    return data as unknown as PushSummary;
  }

  return {
    client,

    async health() {
      return (await settle(getHealthOp({ client }))).data;
    },

    async createShard(name, config, opts = {}) {
      const { data, response } = await settle(
        putShardOp({ client, path: path(name), body: config, query: opts.replace ? { replace: "true" } : undefined }),
      );
      return { created: response.status === 201, info: data };
    },

    async getShard(name) {
      return (await settle(getShardOp({ client, path: path(name) }))).data;
    },

    async patchShard(name, patch) {
      return (await settle(patchShardOp({ client, path: path(name), body: patch }))).data;
    },

    async history(name) {
      return (await settle(getShardHistoryOp({ client, path: path(name) }))).data;
    },

    async pushGradient(name, gradient, opts = {}) {
      const { data, response } = await pushBytes(name, gradient, opts);
      return pushResultOf(data, response);
    },

    async pushToRound(name, vector, opts) {
      const { data, response } = await pushBytes(name, vector, opts);
      if (response.status === 202) {
        const summary = JSON.parse(new TextDecoder().decode(data as unknown as ArrayBuffer)) as PushSummary;
        return { closed: false, round: summary.round!.number, receipt: summary.round!, summary };
      }
      return { closed: true, round: intHeader(response, "x-round"), ...pushResultOf(data, response) };
    },

    async getStatus(name) {
      return (await settle(getStatusOp({ client, path: path(name) }))).data;
    },

    pushGradientSummary(name, gradient, opts = {}) {
      return pushSummary(name, gradient, opts);
    },

    async getWeights(name, range = {}) {
      const { data, response } = await settle(getWeightsOp({ client, path: path(name), query: range, parseAs: "arrayBuffer" }));
      return vectorOf(data, response);
    },

    async waitForWeights(name, etag, waitSeconds) {
      const { data, response } = await settle(
        getWeightsOp({ client, path: path(name), headers: { "if-none-match": etag, prefer: `wait=${waitSeconds}` }, parseAs: "arrayBuffer" }),
      );
      return response.status === 304 ? null : vectorOf(data, response);
    },

    async getAverage(name, average, range = {}) {
      const { data, response } = await settle(
        getAverageOp({ client, path: { shard: name, name: average }, query: range, parseAs: "arrayBuffer" }),
      );
      return vectorOf(data, response);
    },

    async uploadWeights(name, values, opts = {}) {
      const { response } = await settle(
        putWeightsOp({
          client,
          path: path(name),
          body: floatsBlob(values),
          query: opts.offset === undefined ? undefined : { offset: opts.offset },
          headers: opts.ifMatch === undefined ? undefined : { "if-match": opts.ifMatch },
        }),
      );
      return { version: intHeader(response, "x-shard-version"), revision: intHeader(response, "x-shard-revision"), etag: response.headers.get("etag") ?? "" };
    },

    async reportMetric(name, value, clientId) {
      return (await settle(reportMetricOp({ client, path: path(name), body: clientId === undefined ? { value } : { value, client_id: clientId } }))).data;
    },

    async deleteShard(name) {
      await settle(deleteShardOp({ client, path: path(name) }));
    },
  };
}
