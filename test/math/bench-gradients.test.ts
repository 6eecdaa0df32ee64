/**
 * The benches push a distinct gradient each time (bench/stats.ts, gradientOfPush): SQLite writes
 * only the pages of an overwritten row whose bytes changed, so a bench that pushed the same bytes
 * again would measure reads where training writes. Checked on SQLite's own page of 4 KiB: no two of
 * a run's first pushes hold the same bytes at the same place, across more pushes than a gradient
 * log's bound, so neither a ring place nor a floor page is ever rewritten with what it holds.
 */
import { describe, expect, it } from "vitest";
import { gradientOfPush, randomGradient } from "../../bench/stats";

const SQLITE_PAGE_FLOATS = 1024;

describe("gradientOfPush", () => {
  it("gives every push its own bytes on every SQLite page", () => {
    const seed = 7;
    console.log(`seed ${seed}`);
    const base = randomGradient(1 << 16, seed);
    const pushes = Array.from({ length: 40 }, (_, seq) => gradientOfPush(base, seq));
    expect(pushes[0]).toBe(base);
    const sorted = base.slice().sort();
    for (let a = 0; a < pushes.length; a++) {
      expect(pushes[a]!.slice().sort().every((x, i) => x === sorted[i])).toBe(true);
      for (let b = 0; b < a; b++) {
        for (let start = 0; start < base.length; start += SQLITE_PAGE_FLOATS) {
          const same = pushes[a]!.subarray(start, start + SQLITE_PAGE_FLOATS).every((x, i) => x === pushes[b]![start + i]);
          if (same) throw new Error(`pushes ${b} and ${a} hold the same bytes at float ${start}`);
        }
      }
    }
  });
});
