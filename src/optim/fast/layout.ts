/**
 * Where an engine's vectors live in its WebAssembly memory. Every region (params, gradient, each
 * optimizer slot, any extra vectors) starts on a 64-byte boundary (cache line, so also the 16 bytes
 * of a v128), with a 64-byte gap after each one: the gap gives the kernels' partial last vector room
 * to read past a region's end (they never write there), and it staggers the regions' addresses
 * modulo 4 KiB. The memory is allocated once with exactly `pages` pages and never grown, so
 * Float32Array views of it stay valid for the engine's lifetime.
 */
export const WASM_PAGE_BYTES = 65536;
/** Bytes below this address belong to the kernels' static data (checked against heapBase()). */
export const REGION_BASE = 1024;
export const REGION_ALIGN = 64;
export const REGION_GAP = 64;
/** The kernels read at most this many bytes past the last element of a range. */
export const TAIL_SLACK = 16;
const MAX_PAGES = 65536;

export interface Region {
  readonly name: string;
  /** Byte address in the memory. */
  readonly offset: number;
  readonly length: number;
}

export interface Layout {
  readonly regions: readonly Region[];
  /** Bytes actually used (end of the last gap). */
  readonly usedBytes: number;
  readonly pages: number;
  /** pages * 64 KiB: what the engine's memory costs. */
  readonly bytes: number;
}

const alignUp = (x: number, a: number): number => Math.ceil(x / a) * a;

/** Regions for `vectors` (each a name and its number of float32s), in that order. */
export function planLayout(vectors: readonly { name: string; length: number }[]): Layout {
  let at = REGION_BASE;
  const regions: Region[] = [];
  for (const { name, length } of vectors) {
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`vector length must be a non-negative integer, got ${length}`);
    at = alignUp(at, REGION_ALIGN);
    regions.push({ name, offset: at, length });
    at += length * 4 + REGION_GAP;
  }
  const usedBytes = at;
  const pages = Math.max(1, Math.ceil(usedBytes / WASM_PAGE_BYTES));
  if (pages > MAX_PAGES) {
    const floats = vectors.reduce((sum, v) => sum + v.length, 0);
    throw new RangeError(`${vectors.length} vectors of ${floats} float32 in all need ${usedBytes} bytes, more than a wasm32 memory holds`);
  }
  return { regions, usedBytes, pages, bytes: pages * WASM_PAGE_BYTES };
}
