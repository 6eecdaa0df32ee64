import { describe, expect, it } from "vitest";
import { KeyFilter } from "../../src/shard/pushes/key-filter";
import { KeyIndex } from "../../src/shard/pushes/key-index";
import { coveringPageRuns } from "../../src/shard/store/page-layout";

describe("KeyFilter", () => {
  it("never misses a key it was given, and rarely claims one it was not", () => {
    const capacity = 20_000;
    const filter = new KeyFilter(capacity);
    for (let i = 0; i < capacity; i++) filter.add(`key-${i}`);
    for (let i = 0; i < capacity; i++) expect(filter.mightHold(`key-${i}`)).toBe(true);
    let false_ = 0;
    for (let i = 0; i < capacity; i++) if (filter.mightHold(`other-${i}`)) false_ += 1;
    // Sized for 1% at capacity.
    expect(false_ / capacity).toBeLessThan(0.02);
    expect(filter.added).toBe(capacity);
  });

  it("holds nothing when empty", () => {
    const filter = new KeyFilter(100);
    expect(["", "a", "key-1", "0123456789abcdef"].some((k) => filter.mightHold(k))).toBe(false);
  });
});

describe("KeyIndex", () => {
  it("finds each of its newest `capacity` keys in its row, and almost no key it was not given", () => {
    const capacity = 10_000;
    const keys = 25_000; // past the ring twice
    const index = new KeyIndex(capacity);
    const rowOf = (i: number) => 1 + Math.floor(i / 7);
    for (let i = 0; i < keys; i++) index.add(`key-${i}`, rowOf(i));
    for (let i = keys - capacity; i < keys; i++) expect(index.rowsOf(`key-${i}`)[0]).toBe(rowOf(i));
    let rows = 0;
    for (let i = 0; i < keys; i++) rows += index.rowsOf(`other-${i}`).length;
    // Past the filter (about 1% at twice capacity), a key never added matches one of 10,000 32-bit hashes about 2e-6 of the time.
    expect(rows).toBeLessThan(3);
    expect(index.added).toBe(keys);
  });

  it("keeps every row of a key added again, newest first", () => {
    const index = new KeyIndex(8);
    index.add("k", 3);
    index.add("other", 4);
    index.add("k", 9);
    index.add("k", 12);
    expect(index.rowsOf("k")).toEqual([12, 9, 3]);
  });

  it("forgets the rows of keys older than its newest `capacity`", () => {
    const index = new KeyIndex(2);
    index.add("a", 1);
    index.add("b", 2);
    index.add("c", 3);
    expect([index.rowsOf("a"), index.rowsOf("b"), index.rowsOf("c")]).toEqual([[], [2], [3]]);
  });

  it("holds nothing when empty", () => {
    const index = new KeyIndex(100);
    expect(["", "a", "key-1", "0123456789abcdef"].some((k) => index.rowsOf(k).length > 0)).toBe(false);
  });
});

describe("coveringPageRuns", () => {
  const cases: { name: string; ranges: { offset: number; count: number }[]; pageFloats: number; length: number; runs: { offset: number; count: number }[] }[] = [
    { name: "one whole vector", ranges: [{ offset: 0, count: 40 }], pageFloats: 16, length: 40, runs: [{ offset: 0, count: 40 }] },
    { name: "the same range twice", ranges: [{ offset: 0, count: 40 }, { offset: 0, count: 40 }], pageFloats: 16, length: 40, runs: [{ offset: 0, count: 40 }] },
    { name: "a range inside one page", ranges: [{ offset: 17, count: 3 }], pageFloats: 16, length: 40, runs: [{ offset: 16, count: 16 }] },
    { name: "far apart, kept apart", ranges: [{ offset: 40, count: 2 }, { offset: 1, count: 2 }], pageFloats: 10, length: 100, runs: [{ offset: 0, count: 10 }, { offset: 40, count: 10 }] },
    { name: "neighbouring pages merged", ranges: [{ offset: 0, count: 5 }, { offset: 12, count: 1 }], pageFloats: 10, length: 100, runs: [{ offset: 0, count: 20 }] },
    { name: "overlapping, the last page short", ranges: [{ offset: 30, count: 15 }, { offset: 25, count: 10 }], pageFloats: 10, length: 45, runs: [{ offset: 20, count: 25 }] },
  ];
  for (const c of cases) {
    it(c.name, () => expect(coveringPageRuns(c.ranges, c.pageFloats, c.length)).toEqual(c.runs));
  }
});
