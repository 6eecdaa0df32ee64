import { MAX_PAGE_FLOATS, SQLITE_MAX_ROW_BYTES } from "./limits";

/** Page arithmetic of the stored vectors, and the production row limit it must respect. */
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
