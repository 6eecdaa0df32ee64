import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Outcome } from "../shard/types";
import { RefusalError, type RefusalCode } from "../shard/refusal";
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
  "too-many-checkpoints": [409, "Too Many Checkpoints"],
  "too-few-checkpoints": [409, "Too Few Checkpoints"],
  "round-open": [409, "Round Open"],
  "invalid-manifest": [400, "Invalid Manifest"],
  "invalid-safetensors": [422, "Invalid Safetensors"],
  "partial-failure": [502, "Partial Failure"],
};

/** The value of a shard's answer, or its refusal as an RFC 9457 problem. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  const { code, detail, extensions } = outcome.refusal;
  const [status, title] = statuses[code];
  throw new ProblemError(status, code, title, detail, extensions ? { ...extensions } : {});
}

export const refusalStatuses = statuses;

/** Runs edge-side checks written with `refuse` (shared with the shard), answering refusals as problems. */
export function refusing<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RefusalError) return unwrap<T>({ ok: false, refusal: e.toRefusal() });
    throw e;
  }
}
