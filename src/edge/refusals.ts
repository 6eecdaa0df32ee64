import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Outcome } from "../shard/types";
import type { RefusalCode } from "../shard/refusal";
import { ProblemError } from "./problem";

const statuses: Record<RefusalCode, [ContentfulStatusCode, string]> = {
  "not-found": [404, "Not Found"],
  "invalid-config": [400, "Invalid Configuration"],
  "config-conflict": [409, "Configuration Conflict"],
  "invalid-range": [400, "Invalid Range"],
  "wrong-length": [422, "Wrong Length"],
  "non-finite": [422, "Non-Finite Values"],
  "stale-gradient": [409, "Stale Gradient"],
  "version-mismatch": [409, "Version Mismatch"],
  "precondition-failed": [412, "Precondition Failed"],
  "idempotency-key-reused": [422, "Idempotency Key Reused"],
  "too-large": [413, "Too Large"],
  "rate-limited": [429, "Too Many Requests"],
  "client-id-required": [400, "Client Id Required"],
  "round-closed": [409, "Round Closed"],
  "already-contributed": [409, "Already Contributed"],
};

/** The value of a shard's answer, or its refusal as an RFC 9457 problem. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  const { code, detail, extensions } = outcome.refusal;
  const [status, title] = statuses[code];
  throw new ProblemError(status, code, title, detail, extensions ? { ...extensions } : {});
}

export const refusalStatuses = statuses;
