/**
 * Float32 vectors on the wire: raw little-endian float32 (application/octet-stream), viewed as
 * Float32Array without a copy. (Little-endian hosts only, which is every platform Node and
 * browsers run on in practice.)
 */

/** Bytes as a Blob: the body type the generated functions take for octet-stream. */
export function bytesBlob(bytes: Uint8Array): Blob {
  const owned = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
  return new Blob([owned], { type: "application/octet-stream" });
}

/**
 * Bytes as a request body without a copy (a Blob copies them): fetch takes any view. Typed as Blob
 * only to fit the generated functions, whose binary bodies say Blob.
 */
export function bytesBody(bytes: Uint8Array): Blob {
  return bytes as unknown as Blob;
}

/** A Float32Array's bytes as a request body, without a copy. */
export function floatsBody(values: Float32Array): Blob {
  return bytesBody(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

/** A Float32Array's bytes as a Blob. */
export function floatsBlob(values: Float32Array): Blob {
  return bytesBlob(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

/** The Float32Array view of raw bytes. */
export function floatsOf(data: unknown): Float32Array {
  if (!(data instanceof ArrayBuffer)) throw new TypeError(`shardstep: expected raw bytes, got ${Object.prototype.toString.call(data)}`);
  if (data.byteLength % 4 !== 0) throw new TypeError(`shardstep: ${data.byteLength} bytes are not a whole number of float32 values`);
  return new Float32Array(data);
}
