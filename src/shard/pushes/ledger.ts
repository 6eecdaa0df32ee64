import { KeyIndex } from "./key-index";
import { LEDGER_CAPACITY } from "../../limits";
import type { PushSummary } from "../types";
import { formerFingerprint, refuseReused, type LedgerEntry } from "./ledger-key";

export interface LedgerRecord extends LedgerEntry {
  summary: PushSummary;
  at: number;
}

/**
 * The idempotency ledger: the outcome of every push sent with an Idempotency-Key (at least the last
 * LEDGER_CAPACITY of them), so that a retry returns the first answer and applies nothing. Keys are
 * scoped to their token's subject; a key reused for a different request is refused (ledger-key.ts).
 *
 * The records of one commit are one row (schema.ts `ledger`): a group commit of many pushes appends
 * one row and drops the oldest, where a row and a key index entry per push dirtied a random index page
 * each. Keys are found through an index in memory of the newest LEDGER_CAPACITY keys (key-index.ts),
 * made from the table on first use.
 */
export class Ledger {
  private index: KeyIndex | undefined;

  constructor(private readonly sql: SqlStorage) {}

  /** The recorded outcome of the entry's key; undefined when none; refuses a key recorded with another fingerprint (in neither of its forms). */
  recall(entry: LedgerEntry): PushSummary | undefined {
    for (const seq of this.keys().rowsOf(entry.key)) {
      const row = this.sql
        .exec<{ fingerprint: string; outcome: string }>(
          "SELECT value ->> 1 AS fingerprint, value -> 2 AS outcome FROM ledger, json_each(ledger.records) WHERE seq = ? AND value ->> 0 = ?",
          seq,
          entry.key,
        )
        .toArray()[0];
      if (!row) continue;
      if (row.fingerprint !== entry.fingerprint && row.fingerprint !== formerFingerprint(entry)) refuseReused(entry);
      return JSON.parse(row.outcome) as PushSummary;
    }
    return undefined;
  }

  /** Records outcomes as one row and drops the rows older than the newest LEDGER_CAPACITY records; inside the caller's transaction. */
  record(records: readonly LedgerRecord[]): void {
    if (records.length === 0) return;
    const index = this.keys();
    const rows = JSON.stringify(records.map((r) => [r.key, r.fingerprint, r.summary, r.at]));
    const { seq } = this.sql.exec<{ seq: number }>("INSERT INTO ledger (seq, records) SELECT COALESCE(MAX(seq), 0) + ?, ? FROM ledger RETURNING seq", records.length, rows).one();
    this.sql.exec("DELETE FROM ledger WHERE seq <= ?", seq - LEDGER_CAPACITY);
    // A key of a transaction that then fails stays in the index: a row that is not there, which only costs a lookup.
    for (const r of records) index.add(r.key, seq);
  }

  /** The index of the newest keys the table holds, made from it on first use. */
  private keys(): KeyIndex {
    if (!this.index) {
      const index = new KeyIndex(LEDGER_CAPACITY);
      for (const row of this.sql.exec<{ seq: number; key: string }>("SELECT seq, value ->> 0 AS key FROM (SELECT * FROM ledger ORDER BY seq), json_each(records)")) index.add(row.key, row.seq);
      this.index = index;
    }
    return this.index;
  }
}
