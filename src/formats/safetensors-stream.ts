import { headerLengthOf, parseHeader, SafetensorsError, type SafetensorsHeader } from "./safetensors";

/** Receives the data section as it arrives: `bytes` of tensor `name` starting at byte `offset` within the tensor. */
export type TensorBytesSink = (name: string, offset: number, bytes: Uint8Array) => void;

const fail = (message: string): never => {
  throw new SafetensorsError(message);
};

/**
 * Reads a safetensors body from a stream without holding it whole: the header is parsed and
 * handed to `accept` (which checks it and answers where the data goes) before any data is used;
 * then every byte of the data section goes to the sink. Refuses a body longer than `maxBytes`,
 * and a truncated or overlong one, with a SafetensorsError.
 */
export async function readSafetensorsStream(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  accept: (header: SafetensorsHeader) => TensorBytesSink,
): Promise<SafetensorsHeader> {
  const reader = stream.getReader();
  let total = 0;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const next = async (): Promise<Uint8Array | null> => {
    const { done, value } = await reader.read();
    if (done) return null;
    total += value.byteLength;
    if (total > maxBytes) fail(`the body is longer than ${maxBytes} bytes`);
    return value;
  };
  /** Gathers the first `n` bytes of what is still to be used (for the header length and the header). */
  const take = async (n: number): Promise<Uint8Array> => {
    while (pendingBytes < n) {
      const chunk = await next();
      if (!chunk) fail(`the body ends after ${total} bytes, inside the header`);
      pending.push(chunk!);
      pendingBytes += chunk!.byteLength;
    }
    const joined = pending.length === 1 ? pending[0]! : concat(pending, pendingBytes);
    pending = [joined.subarray(n)];
    pendingBytes -= n;
    return joined.subarray(0, n);
  };

  try {
    const headerLength = headerLengthOf(await take(8));
    const header = parseHeader(await take(headerLength));
    const sink = accept(header);
    const spans = [...header.tensors.entries()].sort((a, b) => a[1].begin - b[1].begin);
    let position = 0;
    let span = 0;
    const consume = (chunk: Uint8Array) => {
      let at = 0;
      while (at < chunk.byteLength) {
        if (position >= header.dataLength) fail(`the body runs past the ${header.dataLength} bytes of data its header declares`);
        while (spans[span]![1].end <= position) span++;
        const [name, info] = spans[span]!;
        const n = Math.min(chunk.byteLength - at, info.end - position);
        sink(name, position - info.begin, chunk.subarray(at, at + n));
        at += n;
        position += n;
      }
    };
    for (const chunk of pending) consume(chunk);
    for (let chunk = await next(); chunk; chunk = await next()) consume(chunk);
    if (position !== header.dataLength) fail(`the body ends after ${position} of the ${header.dataLength} bytes of data its header declares`);
    return header;
  } finally {
    reader.releaseLock();
  }
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
