import { KeyFilter } from "./key-filter";
import { LEDGER_CAPACITY } from "../../limits";
import { refuse } from "../../problems";
import type { PushRequest, PushSummary } from "../types";

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** What identifies a push under its Idempotency-Key: a retry must send the same. */
export async function pushFingerprint(req: PushRequest): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", req.gradient);
  let hex = "";
  for (const byte of new Uint8Array(digest)) hex += HEX[byte];
  return `${hex}:${req.offset ?? "-"}:${req.baseVersion ?? "-"}`;
}

export interface LedgerRecord {
  key: string;
  fingerprint: string;
  summary: PushSummary;
  at: number;
}

/**
 * The idempotency ledger: the outcome of every push sent with an Idempotency-Key (the last
 * LEDGER_CAPACITY of them), so that a retry returns the first answer and applies nothing. A key
 * reused for a different request is refused. A filter of the keys held skips the lookup of a key
 * never seen, which is nearly every push.
 */
export class Ledger {
  private filter: KeyFilter | undefined;

  constructor(private readonly sql: SqlStorage) {}

  recall(key: string, fingerprint: string): PushSummary | null {
    if (!this.keys().mightHold(key)) return null;
    const row = this.sql.exec<{ fingerprint: string; outcome: string }>("SELECT fingerprint, outcome FROM idempotency WHERE key = ?", key).toArray()[0];
    if (!row) return null;
    if (row.fingerprint !== fingerprint) refuse("idempotency-key-reused", `Idempotency-Key '${key}' was used for a different request`);
    return JSON.parse(row.outcome) as PushSummary;
  }

  /** Records outcomes in one statement and drops the oldest beyond capacity; inside the caller's transaction. */
  record(records: readonly LedgerRecord[]): void {
    if (records.length === 0) return;
    // One JSON text for all of them: `value -> 2` is the summary's own JSON text, encoded once.
    const rows = JSON.stringify(records.map((r) => [r.key, r.fingerprint, r.summary, r.at]));
    this.sql.exec("INSERT INTO idempotency (key, fingerprint, outcome, at) SELECT value ->> 0, value ->> 1, value -> 2, value ->> 3 FROM json_each(?)", rows);
    this.sql.exec("DELETE FROM idempotency WHERE rowid <= (SELECT MAX(rowid) FROM idempotency) - ?", LEDGER_CAPACITY);
    // A key of a transaction that then fails stays in the filter: a false positive, which only costs a lookup.
    const filter = this.keys();
    for (const r of records) filter.add(r.key);
  }

  /** The filter of the keys the table holds (at most LEDGER_CAPACITY), made again from it after as many more. */
  private keys(): KeyFilter {
    if (!this.filter || this.filter.added > LEDGER_CAPACITY) {
      const filter = new KeyFilter(2 * LEDGER_CAPACITY);
      for (const row of this.sql.exec<{ key: string }>("SELECT key FROM idempotency")) filter.add(row.key);
      filter.added = 0;
      this.filter = filter;
    }
    return this.filter;
  }
}
