import { createHash } from "node:crypto";
import { refuse } from "../../problems";
import type { PushRequest } from "../types";
import { gradientBytes } from "./gradient-bytes";
import { murmur3x86_128 } from "../../murmur3";

/** Where a push's outcome is recorded: the stored key (the Idempotency-Key scoped to its caller) and what a retry must send again. */
export interface LedgerEntry {
  key: string;
  fingerprint: string;
  /** What the fingerprint hashed and appended, for its form in records stored before it was taken with MurmurHash3 (`formerFingerprint`). */
  hashed?: { gradient: Uint8Array; rest: string };
}

/** The entry's fingerprint as records stored before MurmurHash3 hold it (the gradient's SHA-256 first): taken only when a stored record differs. */
export const formerFingerprint = (entry: LedgerEntry): string | undefined =>
  entry.hashed && createHash("sha256").update(entry.hashed.gradient).digest("hex") + entry.hashed.rest;

/**
 * The ledger entries of a push sent with an Idempotency-Key, the one it is recorded under first.
 *
 * The key is scoped to the token's subject (`<subject>\n<key>`: a header value holds no newline, so
 * no two scopes, and no unscoped key, share a stored key): a key of another subject is another key.
 * The fingerprint is the gradient's MurmurHash3 (x86, 128 bits: about 2× faster than SHA-256 with
 * the CPU's SHA instructions, `npm run bench:fingerprint`, and without node:crypto's stream per hash,
 * which cost a small push more than the hash) with the offset, base version, sample count and
 * client, and an lbfgs push's loss and point revision (appended only when sent, so that records of
 * other pushes keep their form): the same key with any of them changed is refused
 * (idempotency-key-reused), never replayed. Records stored before hold the gradient's SHA-256 in its
 * place (64 digits, not 32); a retry of such a push is compared with the same form
 * (`formerFingerprint`).
 *
 * Records stored before keys were scoped hold the bare key and the fingerprint of gradient, offset and
 * base version only; the second entry looks them up, so a retry of such a push still replays it
 * (whoever sends it: those records name no subject). A push from an edge that sends no subject (an
 * older release, during a deployment) is recorded that way too.
 */
export function ledgerEntriesOf(req: PushRequest): LedgerEntry[] {
  const key = req.idempotencyKey;
  if (key === undefined) return [];
  const gradient = gradientBytes(req);
  const hash = murmur3x86_128(gradient);
  // Plain records, no closures: a small push's whole ledger work is a few microseconds.
  const rest = `:${req.offset ?? "-"}:${req.baseVersion ?? "-"}`;
  const unscoped: LedgerEntry = { key, fingerprint: hash + rest, hashed: { gradient, rest } };
  if (req.subject === undefined) return [unscoped];
  const lbfgs = req.loss === undefined && req.pointRevision === undefined ? "" : `:${req.loss ?? "-"}:${req.pointRevision ?? "-"}`;
  const scopedRest = `${rest}:${req.sampleCount ?? "-"}:${req.clientKey ?? req.clientId ?? "-"}${lbfgs}`;
  return [{ key: `${req.subject}\n${key}`, fingerprint: hash + scopedRest, hashed: { gradient, rest: scopedRest } }, unscoped];
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
