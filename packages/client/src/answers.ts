/** What the answers of the weights and gradients routes carry, read from their headers and bodies. */
import { floatsOf } from "./floats.js";
import type { LbfgsOutcome, PushSummary, RoundReceipt } from "./generated/types.gen.js";

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
  /**
   * Where the next gradient is to be taken over the pushed range, at version `weightsVersion`: the
   * updated weights for most rules; the look-ahead x + μ·v for SGD's look-ahead Nesterov
   * (`momentum_form: "velocity"` with `nesterov`). A trainer computes its next gradient here:
   *
   *   let point = (await api.getPoint(name)).values;
   *   for (...) point = (await api.pushGradient(name, gradientAt(point))).point;
   */
  point: Float32Array;
  /** Whether `point` is the weights (X-Point: weights). */
  pointIsWeights: boolean;
  /**
   * The updated weights of the pushed range, at version `weightsVersion`: the same array as `point`
   * when `pointIsWeights`, else empty (the answer carries the point only: read them with getWeights).
   */
  weights: Float32Array;
  /** The version the weights are at: `version`, except for replays (the current version then). */
  weightsVersion: number;
  revision: number;
  /** The learning rate the update used. */
  lr: number;
  /** True when this answered a retry of an Idempotency-Key (also one the client sent by itself). */
  replayed: boolean;
  offset: number;
  /** An lbfgs shard: what the closure call did; `point` is where the next one is to be taken (a line-search trial unless `pointIsWeights`). */
  lbfgs?: LbfgsOutcome;
  /**
   * Rounds mode only, when the push was counted in a round that is still open (the server's 202):
   * its receipt. Nothing was applied yet: `weights` and `point` are empty, `version` and `weightsVersion` are
   * the shard's current version, and the round closes into version `receipt.number`
   * (`pushToRound` waits for it and answers its weights).
   */
  receipt?: RoundReceipt;
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

/** The evaluation point of a shard (GET /point): where the next gradient is to be taken. */
export interface PointResult extends VectorResult {
  /** Whether the point is the weights (X-Point: weights); else it is distinct from them. */
  isWeights: boolean;
}

/** Whether an answer's vector is the weights (X-Point: weights, or no X-Point from a server that predates it). */
export const pointIsWeightsOf = (response: Response): boolean => response.headers.get("x-point") !== "distinct";

export function pointOf(bytes: ArrayBuffer, response: Response): PointResult {
  return { ...vectorOf(bytes, response), isWeights: pointIsWeightsOf(response) };
}

export function pushResultOf(bytes: ArrayBuffer, response: Response): PushResult {
  if (response.status === 202) return countedPushOf(jsonOf<PushSummary>(bytes));
  // A replay answers the current weights (X-Shard-Version is theirs); X-Push-Version is the
  // version the push produced.
  const point = floatsOf(bytes);
  const pointIsWeights = pointIsWeightsOf(response);
  return {
    version: intHeader(response, "x-push-version"),
    point,
    pointIsWeights,
    weights: pointIsWeights ? point : new Float32Array(0),
    weightsVersion: intHeader(response, "x-shard-version"),
    revision: intHeader(response, "x-shard-revision"),
    lr: Number(response.headers.get("x-learning-rate")),
    replayed: response.headers.get("idempotent-replayed") === "true",
    offset: Number(response.headers.get("x-offset") ?? 0),
    ...lbfgsOutcomeOf(response),
  };
}

/** The X-Lbfgs-* headers of an lbfgs shard's push answer, as its summary's `lbfgs` field. */
function lbfgsOutcomeOf(response: Response): { lbfgs?: LbfgsOutcome } {
  const outcome = response.headers.get("x-lbfgs-outcome");
  if (outcome === null) return {};
  const end = response.headers.get("x-lbfgs-end");
  return {
    lbfgs: {
      outcome: outcome as LbfgsOutcome["outcome"],
      end: end as LbfgsOutcome["end"],
      step_evaluations: intHeader(response, "x-lbfgs-step-evaluations"),
      func_evals: intHeader(response, "x-lbfgs-func-evals"),
      n_iter: intHeader(response, "x-lbfgs-n-iter"),
    },
  };
}

/** A push counted in an open round (202): its receipt, no weights (nothing was applied yet). */
function countedPushOf(summary: PushSummary): PushResult {
  const { version, revision, lr, replayed, offset, round } = summary;
  const none = new Float32Array(0);
  return { version, point: none, pointIsWeights: true, weights: none, weightsVersion: version, revision, lr, replayed, offset, ...(round ? { receipt: round } : {}) };
}

export function jsonOf<T>(bytes: ArrayBuffer): T {
  return JSON.parse(new TextDecoder().decode(bytes)) as T;
}
