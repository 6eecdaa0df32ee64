import { describe, expect, it } from "vitest";
import { KeyFilter } from "../../src/shard/pushes/key-filter";
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
