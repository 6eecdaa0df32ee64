/**
 * Progress of large transfers. Downloads are counted as the answer's body streams in (the total
 * from Content-Length). Uploads cannot be counted portably while a fetch request body is sent, so
 * they are reported at their ends, and per chunk for chunked weight uploads.
 */
import { ShardstepNetworkError } from "./problem.js";

export interface Progress {
  /** "upload": the request body; "download": the answer's body. */
  phase: "upload" | "download";
  /** Bytes done so far. */
  loaded: number;
  /** Bytes in all, when known (a download's Content-Length). */
  total: number | undefined;
}

export type ProgressCallback = (progress: Progress) => void;

/** The body length a response declares, unless it is encoded (then the stream's bytes differ from it). */
function declaredLength(response: Response): number | undefined {
  if (response.headers.get("content-encoding")) return undefined;
  const length = Number(response.headers.get("content-length") ?? NaN);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

/**
 * Reads the whole body of `response` into one ArrayBuffer, reporting each chunk to `onProgress`.
 * A stream that breaks is a ShardstepNetworkError.
 */
export async function readBody(response: Response, onProgress?: ProgressCallback): Promise<ArrayBuffer> {
  const total = declaredLength(response);
  const report = (loaded: number) => onProgress?.({ phase: "download", loaded, total });
  if (!response.body) {
    report(0);
    return new ArrayBuffer(0);
  }
  const reader = response.body.getReader();
  let buffer = new Uint8Array(total ?? 64 * 1024);
  let loaded = 0;
  report(0);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (loaded + value.byteLength > buffer.byteLength) {
        const grown = new Uint8Array(Math.max(buffer.byteLength * 2, loaded + value.byteLength));
        grown.set(buffer.subarray(0, loaded));
        buffer = grown;
      }
      buffer.set(value, loaded);
      loaded += value.byteLength;
      report(loaded);
    }
  } catch (cause) {
    throw new ShardstepNetworkError(`the answer broke off after ${loaded} bytes: ${(cause as Error)?.message ?? cause}`, { cause });
  }
  return loaded === buffer.byteLength ? buffer.buffer : buffer.buffer.slice(0, loaded);
}
