import { KeyFilter } from "./key-filter";
import { LEDGER_CAPACITY } from "../../limits";
import type { PushSummary } from "../types";
import { refuseReused, type LedgerEntry } from "./ledger-key";

export interface LedgerRecord extends LedgerEntry {
  summary: PushSummary;
  at: number;
}

/**
 * The idempotency ledger: the outcome of every push sent with an Idempotency-Key (the last
 * LEDGER_CAPACITY of them), so that a retry returns the first answer and applies nothing. Keys are
 * scoped to their token's subject; a key reused for a different request is refused (ledger-key.ts). A filter of the keys held skips the lookup of a key
 * never seen, which is nearly every push.
 */
export class Ledger {
  private filter: KeyFilter | undefined;

  constructor(private readonly sql: SqlStorage) {}

  /** The recorded outcome of the entry's key; undefined when none; refuses a key recorded with another fingerprint. */
  recall(entry: LedgerEntry): PushSummary | undefined {
    if (!this.keys().mightHold(entry.key)) return undefined;
    const row = this.sql.exec<{ fingerprint: string; outcome: string }>("SELECT fingerprint, outcome FROM idempotency WHERE key = ?", entry.key).toArray()[0];
    if (!row) return undefined;
    if (row.fingerprint !== entry.fingerprint) refuseReused(entry);
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
