/**
 * A live session over plain HTTP, where the socket cannot open: pushes are HTTP pushes with the
 * same Idempotency-Keys, and new versions come from the weights' long poll (If-None-Match with
 * Prefer: wait).
 */
import type { PushResult, VectorResult } from "./answers.js";
import type { PushSummary } from "./generated/types.gen.js";
import type { LiveAnswer, LivePushOptions } from "./live-types.js";
import type { PushCalls, PushOptions } from "./pushes.js";
import type { WeightCalls } from "./weights.js";

export type HttpCalls = Pick<PushCalls, "pushGradient" | "pushGradientSummary"> & Pick<WeightCalls, "getWeights" | "waitForWeights">;

const NO_FLOATS = new Float32Array(0);

/** One push over HTTP, answered as a socket answers it. */
export async function pushOverHttp(http: HttpCalls, shard: string, gradient: Float32Array, key: string, options: LivePushOptions, signal: AbortSignal): Promise<LiveAnswer> {
  const push: PushOptions = {
    idempotencyKey: key,
    signal,
    ...(options.baseVersion === undefined ? {} : { baseVersion: options.baseVersion }),
    ...(options.sampleCount === undefined ? {} : { sampleCount: options.sampleCount }),
    ...(options.offset === undefined ? {} : { offset: options.offset }),
    ...(options.loss === undefined ? {} : { loss: options.loss }),
    ...(options.pointRevision === undefined ? {} : { pointRevision: options.pointRevision }),
  };
  if (options.answer === "weights") return answerOfResult(key, await http.pushGradient(shard, gradient, push));
  return answerOfSummary(key, await http.pushGradientSummary(shard, gradient, push));
}

function answerOfResult(key: string, result: PushResult): LiveAnswer {
  const { version, revision, lr, replayed, offset, point, pointIsWeights, receipt } = result;
  return { key, version, revision, lr, replayed, offset, values: point, pointIsWeights, via: "http", ...(receipt ? { receipt } : {}) };
}

export function answerOfSummary(key: string, summary: PushSummary, values: Float32Array = NO_FLOATS, pointIsWeights = true, via: LiveAnswer["via"] = "http"): LiveAnswer {
  const { version, revision, lr, replayed, offset, round } = summary;
  return { key, version, revision, lr, replayed, offset, values, pointIsWeights, summary, via, ...(round && !round.closed ? { receipt: round } : {}) };
}

/**
 * Calls `seen` with the shard's weights now (`first`), then with every new version of them, until
 * `signal` aborts (which ends it quietly). `waitSeconds` is each long poll's wait.
 */
export async function pollVersions(http: HttpCalls, shard: string, waitSeconds: number, signal: AbortSignal, seen: (weights: VectorResult, first: boolean) => void): Promise<void> {
  try {
    const now = await http.getWeights(shard, { signal });
    seen(now, true);
    let { etag } = now;
    while (!signal.aborted) {
      const next = await http.waitForWeights(shard, etag, waitSeconds, { signal });
      if (next === null) continue;
      etag = next.etag;
      seen(next, false);
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}
