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

export function planLayout(names: readonly string[], length: number): Layout {
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`vector length must be a non-negative integer, got ${length}`);
  let at = REGION_BASE;
  const regions: Region[] = [];
  for (const name of names) {
    at = alignUp(at, REGION_ALIGN);
    regions.push({ name, offset: at, length });
    at += length * 4 + REGION_GAP;
  }
  const usedBytes = at;
  const pages = Math.max(1, Math.ceil(usedBytes / WASM_PAGE_BYTES));
  if (pages > MAX_PAGES) {
    throw new RangeError(`${names.length} vectors of ${length} float32 need ${usedBytes} bytes, more than a wasm32 memory holds`);
  }
  return { regions, usedBytes, pages, bytes: pages * WASM_PAGE_BYTES };
}
