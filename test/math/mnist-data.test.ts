// examples/mnist: the deterministic split of the `mnist` package, the client splits, minibatches and the chart.
import { beforeAll, describe, expect, it } from "vitest";
import { lineChart, linearTicks, logTicks } from "../../examples/mnist/chart";
import { iidSplit, loadMnist, Minibatches, nonIidSplit, PIXELS, shuffledIndices, type Dataset } from "../../examples/mnist/data";

let train: Dataset;
let test: Dataset;

beforeAll(() => {
  ({ train, test } = loadMnist());
});

const labelsOf = (set: Dataset) => new Set(set.labels);

describe("mnist data", () => {
  it("splits every digit 80/20 in the package's order, pixels in 0..1", () => {
    expect(train.size + test.size).toBe(10_000);
    expect(train.size).toBeGreaterThan(7_900);
    expect(train.images.length).toBe(train.size * PIXELS);
    for (let d = 0; d < 10; d++) {
      const inTrain = train.labels.filter((l) => l === d).length;
      const inTest = test.labels.filter((l) => l === d).length;
      expect(Math.abs(inTrain - 0.8 * (inTrain + inTest))).toBeLessThanOrEqual(0.5);
    }
    expect(train.images.reduce((a, b) => Math.min(a, b))).toBe(0);
    expect(train.images.reduce((a, b) => Math.max(a, b))).toBeLessThanOrEqual(1);
  });

  it("shuffles by seed: same seed, same order", () => {
    expect(shuffledIndices(100, 7)).toEqual(shuffledIndices(100, 7));
    expect(shuffledIndices(100, 7)).not.toEqual(shuffledIndices(100, 8));
    expect([...shuffledIndices(100, 7)].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("IID: equal parts of every digit; non-IID: two label-sorted shards per client", () => {
    const iid = iidSplit(train, 10, 1);
    const noniid = nonIidSplit(train, 10, 1);
    for (const parts of [iid, noniid]) {
      expect(parts.reduce((n, p) => n + p.size, 0)).toBe(train.size);
      for (const p of parts) expect(Math.abs(p.size - train.size / 10)).toBeLessThanOrEqual(1);
    }
    for (const p of iid) expect(labelsOf(p).size).toBe(10);
    // A shard of a label-sorted set spans at most two adjacent labels, so a client sees at most four.
    for (const p of noniid) expect(labelsOf(p).size).toBeLessThanOrEqual(4);
    expect(noniid.map((p) => labelsOf(p).size).reduce((a, b) => a + b, 0) / 10).toBeLessThan(3.5);
    expect(nonIidSplit(train, 10, 1)[3]!.labels).toEqual(noniid[3]!.labels);
  });

  it("draws minibatches without replacement within an epoch, the same for the same seed", () => {
    const part = iidSplit(train, 40, 2)[0]!; // 200 samples
    const a = new Minibatches(part, 50, 3);
    const b = new Minibatches(part, 50, 3);
    const epoch = Array.from({ length: 4 }, () => a.next());
    expect(epoch.map((x) => x.labels)).toEqual(Array.from({ length: 4 }, () => b.next().labels));
    // One epoch of 4 × 50 is the 200 samples, each once.
    const pixelSums = (set: Dataset) => Array.from({ length: set.size }, (_, i) => set.images.subarray(i * PIXELS, (i + 1) * PIXELS).reduce((a, b) => a + b, 0));
    const drawn = epoch.flatMap(pixelSums).sort((x, y) => x - y);
    expect(drawn).toEqual(pixelSums(part).sort((x, y) => x - y));
  });
});

describe("mnist chart", () => {
  it("puts ticks at round values", () => {
    expect(linearTicks(0, 500)).toEqual([0, 100, 200, 300, 400, 500]);
    expect(linearTicks(0.5, 0.9)).toEqual([0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(logTicks(0.15, 2.3)).toEqual([0.2, 0.5, 1, 2]);
    expect(logTicks(1e-4, 10)).toEqual([1e-4, 1e-3, 0.01, 0.1, 1, 10]);
  });

  it("writes the same SVG for the same input, with every series and its name", () => {
    const options = {
      title: "a <title>",
      xLabel: "step",
      yLabel: "loss",
      logY: true,
      series: [
        { name: "A & B", points: [[1, 2], [2, 1], [3, 0.5]] as const },
        { name: "C", points: [[1, 1], [2, 0], [3, 0.25]] as const }, // 0 cannot be drawn on a log scale: a gap
      ],
    };
    const svg = lineChart(options);
    expect(lineChart(options)).toBe(svg);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("a &lt;title&gt;");
    expect(svg).toContain("A &amp; B");
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg).toMatch(/d="M[\d.]+ [\d.]+M[\d.]+ [\d.]+"/); // C: two one-point segments around its gap
  });
});
