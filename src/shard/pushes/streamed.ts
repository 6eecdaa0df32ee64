import { RELEASE_MIN_BYTES, streamOf } from "../../release";
import type { PushResult } from "../types";

const EMPTY = new ArrayBuffer(0);

/**
 * A push's answer with its vector (the weights, or the point) moved into `body`, a stream that
 * releases the vector's copy once the edge has read it (src/release.ts): asked for with
 * `streamAnswer` by an edge that sends the bytes on as they are. A vector under RELEASE_MIN_BYTES
 * stays in the answer: the edge sends its bytes.
 */
export function streamedAnswer(result: PushResult): PushResult {
  const read = result.point ?? result.weights;
  if (!read || read.bytes.byteLength < RELEASE_MIN_BYTES) return result;
  const body = streamOf(read.bytes);
  return result.point ? { ...result, point: { ...result.point, bytes: EMPTY }, body } : { ...result, weights: { ...read, bytes: EMPTY }, body };
}
