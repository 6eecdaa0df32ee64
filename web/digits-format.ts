/**
 * The learner's digits as one compact binary (`/mnist-digits.bin`): pixels as bytes (0..255 for
 * 0..1), written at build time from the `mnist` package by scripts/build-web.ts and read by the page.
 *
 *   offset 0   "SSD1"                 magic and format version
 *          4   u32 train count         little-endian
 *          8   u32 test count
 *         12   u32 pixels per image    784
 *         16   pixels: (train + test) × pixels bytes, training images first
 *          …   labels: (train + test) bytes
 *
 * No platform imports: Node writes it, the browser reads it.
 */
import type { Dataset } from "../examples/mnist/data";
import { CLASSES, PIXELS } from "../examples/mnist/data";
import type { TrainData } from "../examples/mnist/shard";

const MAGIC = "SSD1";
const HEADER_BYTES = 16;

function quantize(value: number): number {
  return Math.min(255, Math.max(0, Math.round(value * 255)));
}

/** The training and test digits as the binary above. */
export function encodeDigits({ train, test }: TrainData): Uint8Array {
  const count = train.size + test.size;
  const bytes = new Uint8Array(HEADER_BYTES + count * PIXELS + count);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < MAGIC.length; i++) bytes[i] = MAGIC.charCodeAt(i);
  view.setUint32(4, train.size, true);
  view.setUint32(8, test.size, true);
  view.setUint32(12, PIXELS, true);
  const labels = HEADER_BYTES + count * PIXELS;
  let n = 0;
  for (const set of [train, test]) {
    for (let i = 0; i < set.size; i++, n++) {
      for (let j = 0; j < PIXELS; j++) bytes[HEADER_BYTES + n * PIXELS + j] = quantize(set.images[i * PIXELS + j]!);
      bytes[labels + n] = set.labels[i]!;
    }
  }
  return bytes;
}

/** Reads the binary back into datasets (pixels 0..1 as float32). Throws on anything malformed. */
export function decodeDigits(buffer: ArrayBuffer): TrainData {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < HEADER_BYTES || String.fromCharCode(...bytes.subarray(0, 4)) !== MAGIC) {
    throw new Error(`not a digits file: expected it to start with "${MAGIC}"`);
  }
  const view = new DataView(buffer);
  const trainSize = view.getUint32(4, true);
  const testSize = view.getUint32(8, true);
  const pixels = view.getUint32(12, true);
  if (pixels !== PIXELS) throw new Error(`digits of ${pixels} pixels; the model takes ${PIXELS}`);
  const count = trainSize + testSize;
  const expected = HEADER_BYTES + count * PIXELS + count;
  if (bytes.length !== expected) throw new Error(`digits file of ${bytes.length} bytes; its header announces ${expected}`);
  const labels = HEADER_BYTES + count * PIXELS;
  const outOfRange = bytes.subarray(labels).findIndex((label) => label >= CLASSES);
  if (outOfRange >= 0) throw new Error(`digit ${outOfRange} has label ${bytes[labels + outOfRange]}; labels are 0..${CLASSES - 1}`);
  const slice = (from: number, size: number): Dataset => {
    const images = new Float32Array(size * PIXELS);
    const source = bytes.subarray(HEADER_BYTES + from * PIXELS, HEADER_BYTES + (from + size) * PIXELS);
    for (let i = 0; i < images.length; i++) images[i] = source[i]! / 255;
    return { images, labels: bytes.slice(labels + from, labels + from + size), size };
  };
  return { train: slice(0, trainSize), test: slice(trainSize, testSize) };
}
