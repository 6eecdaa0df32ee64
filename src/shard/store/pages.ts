import { PAGE_ROWS_PER_STATEMENT } from "../../limits";
import { assertPageSize, pagesOf } from "./page-layout";

/**
 * Float32 vectors stored as BLOB pages of `pageFloats` floats in the `pages` table, keyed by
 * (slot, page). Raw SQL: this is the hot path. Writes take views of the resident vectors
 * (WebAssembly memory) directly, so nothing is copied on our side.
 */

export interface PageRow {
  slot: string;
  page: number;
  data: Uint8Array;
}

/** Bytes per INSERT: many small pages share a statement; large ones gain nothing from it. */
const PAGE_BYTES_PER_STATEMENT = 4 * 1024 * 1024;

/** The rows that hold elements [offset, offset + count) of `vector`: whole pages, as views. */
export function pageRows(slot: string, vector: Float32Array, pageFloats: number, offset = 0, count = vector.length): PageRow[] {
  assertPageSize(pageFloats);
  const [first, last] = pagesOf(offset, count, pageFloats);
  const rows: PageRow[] = [];
  for (let page = first; page <= last; page++) {
    const start = page * pageFloats;
    const end = Math.min(start + pageFloats, vector.length);
    rows.push({ slot, page, data: new Uint8Array(vector.buffer, vector.byteOffset + start * 4, (end - start) * 4) });
  }
  return rows;
}

/**
 * Writes the rows, as few statements as the parameter limit allows (each statement costs more than
 * its rows). An existing page is updated in place: `INSERT OR REPLACE` would delete and insert it,
 * which the platform bills as two rows written (docs/cost.md). Answers the rows written as billed.
 */
export function writePageRows(sql: SqlStorage, rows: readonly PageRow[]): number {
  let written = 0;
  for (let i = 0; i < rows.length; ) {
    let end = i + 1;
    let bytes = rows[i]!.data.byteLength;
    while (end < rows.length && end - i < PAGE_ROWS_PER_STATEMENT && bytes + rows[end]!.data.byteLength <= PAGE_BYTES_PER_STATEMENT) bytes += rows[end++]!.data.byteLength;
    const chunk = rows.slice(i, end);
    i = end;
    const values = chunk.map(() => "(?, ?, ?)").join(", ");
    written += sql.exec(`INSERT INTO pages (slot, page, data) VALUES ${values} ON CONFLICT (slot, page) DO UPDATE SET data = excluded.data`, ...chunk.flatMap((r) => [r.slot, r.page, r.data])).rowsWritten;
  }
  return written;
}

export function writePages(sql: SqlStorage, slot: string, vector: Float32Array, pageFloats: number, offset = 0, count = vector.length): void {
  writePageRows(sql, pageRows(slot, vector, pageFloats, offset, count));
}

/** Fills `vector` from its stored pages; elements with no stored page are left as they are. */
export function readPages(sql: SqlStorage, slot: string, vector: Float32Array, pageFloats: number): void {
  for (const row of sql.exec<{ page: number; data: ArrayBuffer }>("SELECT page, data FROM pages WHERE slot = ?", slot)) {
    const values = new Float32Array(row.data);
    const start = row.page * pageFloats;
    if (start + values.length > vector.length) {
      throw new Error(`stored page ${row.page} of '${slot}' runs past the vector's ${vector.length} elements`);
    }
    vector.set(values, start);
  }
}

export function deletePages(sql: SqlStorage, slot: string): void {
  sql.exec("DELETE FROM pages WHERE slot = ?", slot);
}

/** One stored page of `slot` (a copy), or an error when it is missing. */
export function readPage(sql: SqlStorage, slot: string, page: number): Float32Array {
  const row = sql.exec<{ data: ArrayBuffer }>("SELECT data FROM pages WHERE slot = ? AND page = ?", slot, page).toArray()[0];
  if (!row) throw new Error(`page ${page} of '${slot}' is missing`);
  return new Float32Array(row.data);
}
