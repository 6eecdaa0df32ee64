import { MAX_PAGE_FLOATS, SQLITE_MAX_ROW_BYTES } from "../../src/limits";
import { writePageRows } from "../../src/shard/store/pages";

/**
 * The benchmark floor of bench/e2e.ts (the bench Worker's `floor`, bench/floor/worker.ts): what a
 * push costs at least in storage. It writes `pages` BLOB pages of the request's bytes into the
 * `pages` table under slots `floor:<n>` (never a shard's slot: those are `weights`, `slot:*`,
 * `avg:*`) in one transaction, as a push writes its weights, slots and averages, and answers the
 * bytes unchanged.
 *
 * The bytes are cut into pages of `pageFloats` floats as a vector of that length is (the last page
 * may be shorter); the write cycles through them, so a body of one vector and `pages` = 3 × its
 * page count writes exactly the rows an Adam push of it writes.
 */
export const FLOOR_SLOT_PREFIX = "floor:";

/** At most this many pages per call (a push of the longest shard writes 16 per vector it stores). */
export const MAX_FLOOR_PAGES = 128;

export function writeFloor(storage: DurableObjectStorage, bytes: ArrayBuffer, pages: number, pageFloats: number): ArrayBuffer {
  if (!Number.isInteger(pageFloats) || pageFloats < 1 || pageFloats > MAX_PAGE_FLOATS || pageFloats * 4 > SQLITE_MAX_ROW_BYTES) {
    throw new RangeError(`floor: a page of ${pageFloats} floats is outside 1..${MAX_PAGE_FLOATS}`);
  }
  if (!Number.isInteger(pages) || pages < 0 || pages > MAX_FLOOR_PAGES) throw new RangeError(`floor: ${pages} pages is outside 0..${MAX_FLOOR_PAGES}`);
  const pageBytes = pageFloats * 4;
  const perVector = Math.max(1, Math.ceil(bytes.byteLength / pageBytes));
  const rows = Array.from({ length: pages }, (_, n) => {
    const page = n % perVector;
    const start = page * pageBytes;
    return { slot: `${FLOOR_SLOT_PREFIX}${Math.floor(n / perVector)}`, page, data: new Uint8Array(bytes, start, Math.min(pageBytes, bytes.byteLength - start)) };
  });
  // The same statements as a push's writes of as many pages (src/shard/store/pages.ts).
  storage.transactionSync(() => writePageRows(storage.sql, rows));
  return bytes;
}
