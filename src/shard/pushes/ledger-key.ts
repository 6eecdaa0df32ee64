import { createHash } from "node:crypto";
import { refuse } from "../../problems";
import type { PushRequest } from "../types";

/** Two hexadecimal digits per byte value (SHA-256 fingerprints). */
export const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** Where a push's outcome is recorded: the stored key (the Idempotency-Key scoped to its caller) and what a retry must send again. */
export interface LedgerEntry {
  key: string;
  fingerprint: string;
}

/**
 * The ledger entries of a push sent with an Idempotency-Key, the one it is recorded under first.
 *
 * The key is scoped to the token's subject (`<subject>\n<key>`: a header value holds no newline, so
 * no two scopes, and no unscoped key, share a stored key): a key of another subject is another key.
 * The fingerprint is the gradient's SHA-256 with the offset, base version, sample count and client,
 * and an lbfgs push's loss and point revision (appended only when sent, so that records of other
 * pushes keep their form): the same key with any of them changed is refused (idempotency-key-reused),
 * never replayed.
 *
 * Records stored before keys were scoped hold the bare key and the fingerprint of gradient, offset and
 * base version only; the second entry looks them up, so a retry of such a push still replays it
 * (whoever sends it: those records name no subject). A push from an edge that sends no subject (an
 * older release, during a deployment) is recorded that way too.
 */
export function ledgerEntriesOf(req: PushRequest): LedgerEntry[] {
  const key = req.idempotencyKey;
  if (key === undefined) return [];
  // node:crypto's hash answers at once: no await (and no turn of the event loop) before the push's synchronous section.
  const hex = createHash("sha256").update(new Uint8Array(req.gradient)).digest("hex");
  const unscoped = { key, fingerprint: `${hex}:${req.offset ?? "-"}:${req.baseVersion ?? "-"}` };
  if (req.subject === undefined) return [unscoped];
  const lbfgs = req.loss === undefined && req.pointRevision === undefined ? "" : `:${req.loss ?? "-"}:${req.pointRevision ?? "-"}`;
  const fingerprint = `${unscoped.fingerprint}:${req.sampleCount ?? "-"}:${req.clientKey ?? req.clientId ?? "-"}${lbfgs}`;
  return [{ key: `${req.subject}\n${key}`, fingerprint }, unscoped];
}

/** The key as its caller sent it, for messages. */
const sentKey = (entry: LedgerEntry): string => entry.key.slice(entry.key.lastIndexOf("\n") + 1);

/** Refuses a key recorded with another fingerprint: the same key for a different request. */
export function refuseReused(entry: LedgerEntry): never {
  return refuse(
    "idempotency-key-reused",
    `Idempotency-Key '${sentKey(entry)}' was used for a different request (another gradient, offset, X-Base-Version, X-Sample-Count or client); a retry sends the same`,
  );
}
