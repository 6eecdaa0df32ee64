import { MAX_PAGE_FLOATS, SQLITE_MAX_ROW_BYTES } from "../../limits";

/**
 * Where the elements of a vector fall in its pages of `pageFloats` floats: plain arithmetic (no
 * storage), and the production row limit a page must respect.
 */

/** Refuses a page size over production's SQLite row limit. */
export function assertPageSize(pageFloats: number): void {
  // Local workerd accepts rows that production rejects: hold the production limit here.
  if (!Number.isInteger(pageFloats) || pageFloats < 1 || pageFloats > MAX_PAGE_FLOATS || pageFloats * 4 > SQLITE_MAX_ROW_BYTES) {
    throw new RangeError(`a page of ${pageFloats} floats breaks the ${SQLITE_MAX_ROW_BYTES}-byte SQLite row limit or the ${MAX_PAGE_FLOATS}-float page size`);
  }
}

/** Pages [first, last] that hold elements [offset, offset + count). */
export function pagesOf(offset: number, count: number, pageFloats: number): [number, number] {
  return [Math.floor(offset / pageFloats), Math.floor((offset + Math.max(count, 1) - 1) / pageFloats)];
}

/**
 * The element ranges of whole pages that cover `ranges` of a vector of `length` elements, merged
 * where their pages touch: the pages a group of partial updates must write, each once.
 */
export function coveringPageRuns(ranges: readonly { offset: number; count: number }[], pageFloats: number, length: number): { offset: number; count: number }[] {
  const spans = ranges.map((r) => pagesOf(r.offset, r.count, pageFloats)).sort((a, b) => a[0] - b[0]);
  const runs: [number, number][] = [];
  for (const [first, last] of spans) {
    const run = runs[runs.length - 1];
    if (run && first <= run[1] + 1) run[1] = Math.max(run[1], last);
    else runs.push([first, last]);
  }
  return runs.map(([first, last]) => {
    const offset = first * pageFloats;
    return { offset, count: Math.min((last + 1) * pageFloats, length) - offset };
  });
}
