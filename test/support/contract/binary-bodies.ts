/**
 * Checks of binary bodies, which JSON Schema cannot see into: a float32 vector is whole 4-byte
 * values; a safetensors file is an 8-byte little-endian header length, a JSON header whose tensors
 * lie inside the data that follows, and nothing else.
 */
export type BinaryFormat = "float32" | "safetensors";

/** What the document says an octet-stream body is: `application/safetensors`, or a schema described as a safetensors file. */
export function binaryFormat(mediaType: string, schema: unknown): BinaryFormat | undefined {
  if (mediaType === "application/safetensors") return "safetensors";
  if (mediaType !== "application/octet-stream") return undefined;
  const description = typeof schema === "object" && schema !== null ? (schema as { description?: unknown }).description : undefined;
  return typeof description === "string" && /safetensors/i.test(description) ? "safetensors" : "float32";
}

/** What is wrong with `body` as `format`, or undefined. */
export function binaryFault(format: BinaryFormat, body: Uint8Array): string | undefined {
  return format === "float32" ? float32Fault(body) : safetensorsFault(body);
}

function float32Fault(body: Uint8Array): string | undefined {
  return body.byteLength % 4 === 0 ? undefined : "a float32 vector's length is not a multiple of 4 bytes";
}

const DTYPE_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1 };

function safetensorsFault(body: Uint8Array): string | undefined {
  if (body.byteLength < 8) return "a safetensors file shorter than its 8-byte header length";
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > body.byteLength) return "a safetensors header length beyond the end of the body";
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body.subarray(8, 8 + headerLength)));
  } catch {
    return "a safetensors header that is not JSON";
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) return "a safetensors header that is not a JSON object";
  const dataLength = body.byteLength - 8 - headerLength;
  let end = 0;
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: offsets } = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const bytes = typeof dtype === "string" ? DTYPE_BYTES[dtype] : undefined;
    if (bytes === undefined) return "a safetensors tensor with an unknown dtype";
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) return "a safetensors tensor whose shape is not a list of sizes";
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(Number.isInteger)) return "a safetensors tensor without [begin, end] data_offsets";
    const [begin, stop] = offsets as [number, number];
    if (begin < 0 || stop < begin || stop > dataLength) return "a safetensors tensor's data_offsets outside the data";
    if (stop - begin !== bytes * shape.reduce((a: number, d: number) => a * d, 1)) return "a safetensors tensor whose data length disagrees with its shape and dtype";
    end = Math.max(end, stop);
  }
  return end === dataLength ? undefined : "a safetensors file with bytes after its last tensor";
}
