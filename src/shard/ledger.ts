import { LEDGER_CAPACITY } from "./limits";
import { refuse } from "./refusal";
import type { PushRequest, PushSummary } from "./types";

/**
 * The idempotency ledger: the outcome of every push sent with an Idempotency-Key, so that a retry
 * returns the first answer and applies nothing. A key reused for a different request is refused.
 */
export async function pushFingerprint(req: PushRequest): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", req.gradient);
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex}:${req.offset ?? "-"}:${req.baseVersion ?? "-"}`;
}

export function recallPush(sql: SqlStorage, key: string, fingerprint: string): PushSummary | null {
  const row = sql.exec<{ fingerprint: string; outcome: string }>("SELECT fingerprint, outcome FROM idempotency WHERE key = ?", key).toArray()[0];
  if (!row) return null;
  if (row.fingerprint !== fingerprint) {
    refuse("idempotency-key-reused", `Idempotency-Key '${key}' was used for a different request`);
  }
  return JSON.parse(row.outcome) as PushSummary;
}

export function recordPush(sql: SqlStorage, key: string, fingerprint: string, summary: PushSummary, at: number): void {
  sql.exec("INSERT INTO idempotency (key, fingerprint, outcome, at) VALUES (?, ?, ?, ?)", key, fingerprint, JSON.stringify(summary), at);
  sql.exec("DELETE FROM idempotency WHERE rowid <= (SELECT MAX(rowid) FROM idempotency) - ?", LEDGER_CAPACITY);
}
