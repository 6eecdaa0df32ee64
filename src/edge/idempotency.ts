import { z } from "@hono/zod-openapi";
import { MAX_IDEMPOTENCY_KEY_LENGTH } from "../limits";
import { enumHeader } from "./schemas/headers";

/**
 * Idempotency-Keys at the edge (docs/idempotency.md): the one header every keyed operation takes,
 * within one limit, and the one way a replay is answered: the first request's status and body, with
 * `Idempotent-Replayed: true`.
 */

/** The Idempotency-Key request header of a keyed operation; `retry` says what a retry with the same key does. */
export const idempotencyKeyHeader = (retry: string) =>
  z.string().min(1).max(MAX_IDEMPOTENCY_KEY_LENGTH).optional().openapi({ description: `${retry} At most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters.` });

/** The response header that marks a replay, as the OpenAPI document describes it. */
export const replayedResponseHeader = {
  "Idempotent-Replayed": enumHeader("`true` when this answers a retry of an Idempotency-Key: the first request's status and outcome, nothing applied again (absent otherwise).", ["true"]),
};

/** The headers of an answer: `Idempotent-Replayed: true` when it replays the request a key named before. */
export const replayHeaders = (replayed: boolean): Record<string, string> => (replayed ? { "idempotent-replayed": "true" } : {});

/** A fanned-out operation (a model's) is a replay when every shard replayed its part: then nothing was applied by this request. */
export const replayedByEvery = (results: Iterable<{ readonly replayed: boolean }>): boolean => {
  let any = false;
  for (const r of results) {
    if (!r.replayed) return false;
    any = true;
  }
  return any;
};
