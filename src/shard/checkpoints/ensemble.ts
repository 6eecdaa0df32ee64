import { pagesOf } from "../store/page-layout";
import { readPage } from "../store/pages";

/**
 * The element-wise mean of stored vectors over [offset, offset + count): summed in float64 in the
 * order of `slots`, divided, rounded to float32 once. Page by page, one stored page at a time, so
 * it holds one page and a float64 page beside the answer however many vectors it averages. The
 * mean of one vector is that vector exactly.
 */
export function meanOfStored(sql: SqlStorage, slots: readonly string[], pageFloats: number, offset: number, count: number): Float32Array {
  const mean = new Float32Array(count);
  const sums = new Float64Array(Math.min(pageFloats, count));
  const [first, last] = pagesOf(offset, count, pageFloats);
  for (let page = first; page <= last; page++) {
    const pageStart = page * pageFloats;
    const start = Math.max(offset, pageStart);
    const end = Math.min(offset + count, pageStart + pageFloats);
    const sum = sums.subarray(0, end - start).fill(0);
    for (const slot of slots) {
      const values = readPage(sql, slot, page).subarray(start - pageStart, end - pageStart);
      for (let i = 0; i < sum.length; i++) sum[i]! += values[i]!;
    }
    for (let i = 0; i < sum.length; i++) mean[start - offset + i] = sum[i]! / slots.length;
  }
  return mean;
}
