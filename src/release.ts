/**
 * Buffers the size of a vector, freed when a request is done with them rather than at the next
 * garbage collection. V8 frees an ArrayBuffer's memory only when a collection finds it unreachable,
 * and the external memory of ArrayBuffers starts one only after tens of MiB more: a push that left
 * a few vector-sized buffers behind kept the runtime at 78-129 bytes a parameter for an engine of 16
 * (npm run bench:memory). Detaching a buffer (a transfer to length 0) frees its memory at once.
 */

/**
 * Smaller buffers are left to the collector: freeing one at once, or streaming it, costs more CPU
 * than its memory is worth. Released, a 1K-parameter push's 4 KiB took 6.5% of its runtime CPU
 * (`npm run bench:profile-live -- --answer weights`), and its answer's stream across RPC more.
 */
export const RELEASE_MIN_BYTES = 1 << 20;

/** Frees `buffer`'s memory now, when it is of RELEASE_MIN_BYTES or more; it is detached (length 0) afterwards. */
export function release(buffer: ArrayBuffer): void {
  if (buffer.byteLength < RELEASE_MIN_BYTES) return;
  (buffer as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
}

/**
 * `release` in a later task, once the answer of the current one has gone: freeing 4 MiB (an unmapping)
 * took about 1-2 ms of the request's path. Answers when it is done, for a Worker's `waitUntil`: a
 * request's context may end with its answer, and with it the timer.
 */
export function releaseSoon(buffer: ArrayBuffer): Promise<void> {
  if (buffer.byteLength < RELEASE_MIN_BYTES) return Promise.resolve();
  return new Promise((resolve) =>
    setTimeout(() => {
      release(buffer);
      resolve();
    }, 0),
  );
}

/**
 * `bytes` as a byte stream of known length (workerd's FixedLengthStream), for an answer that crosses
 * RPC or goes out as a response body: whoever reads it takes the bytes, and they are released as soon
 * as it has taken them all (or stopped reading).
 */
export function streamOf(bytes: ArrayBuffer): ReadableStream<Uint8Array> {
  const { readable, writable } = new FixedLengthStream(bytes.byteLength);
  const writer = writable.getWriter();
  void writer
    .write(new Uint8Array(bytes))
    .then(() => writer.close())
    .catch(() => undefined)
    .finally(() => release(bytes));
  return readable;
}
