import { describe, expect, it } from "vitest";
import { reduce, type ReducerSpec } from "../../src/optim/reducers";

// Three clients, three coordinates, numbers worked out by hand.
const pushes = [new Float32Array([1, -4, 10]), new Float32Array([2, 0, -10]), new Float32Array([6, 8, 1])];
const weights = [1, 2, 1];

describe("reducers", () => {
  it.each([
    [{ kind: "mean" }, [3, 4 / 3, 1 / 3]],
    [{ kind: "weighted_mean" }, [(1 + 4 + 6) / 4, (-4 + 0 + 8) / 4, (10 - 20 + 1) / 4]],
    [{ kind: "median" }, [2, 0, 1]],
    [{ kind: "trimmed_mean", trim: 1 }, [2, 0, 1]],
  ] as [ReducerSpec, number[]][])("%j", (spec, expected) => {
    const out = new Float32Array(3);
    reduce(spec, pushes, weights, out);
    expect(Array.from(out)).toEqual(expected.map(Math.fround));
  });

  it("takes the mean of the two middle values for an even count", () => {
    const out = new Float32Array(1);
    reduce({ kind: "median" }, [1, 3, 100, -7].map((x) => new Float32Array([x])), [1, 1, 1, 1], out);
    expect(out[0]).toBe(2);
  });

  it("drops k from each side for the trimmed mean, resisting outliers", () => {
    const out = new Float32Array(1);
    reduce({ kind: "trimmed_mean", trim: 2 }, [1e9, 2, 3, 4, -1e9, 5, 1e9].map((x) => new Float32Array([x])), [], out);
    expect(out[0]).toBe(4);
    expect(() => reduce({ kind: "trimmed_mean", trim: 2 }, pushes, weights, out)).toThrow(/at least 5 vectors, got 3/);
  });
});
