/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of JSON header, then
 * the tensors' little-endian bytes. The header maps each tensor name to its dtype, shape and
 * [begin, end) offsets in the data section; `__metadata__` is an optional string-to-string map.
 * Parsing is strict: every offset, size and overlap is checked before any data is used.
 */
export type Dtype = "F32" | "F64";

const bytesPerElement: Record<Dtype, number> = { F32: 4, F64: 8 };

export interface TensorInfo {
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  /** Byte range within the data section. */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsFile {
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** The data section; tensor offsets are relative to it. */
  readonly data: Uint8Array;
}

export class SafetensorsError extends Error {
  override readonly name = "SafetensorsError";
}

/** Largest header we accept: the reference implementation's limit. */
export const MAX_HEADER_BYTES = 100_000_000;

const fail = (message: string): never => {
  throw new SafetensorsError(message);
};

function parseTensorInfo(name: string, raw: unknown): TensorInfo {
  if (typeof raw !== "object" || raw === null) return fail(`tensor '${name}': entry must be an object`);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (dtype !== "F32" && dtype !== "F64") return fail(`tensor '${name}': dtype ${JSON.stringify(dtype)} is not supported (F32, F64)`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    return fail(`tensor '${name}': shape must be a list of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    return fail(`tensor '${name}': data_offsets must be two non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  const elements = (shape as number[]).reduce((a, b) => a * b, 1);
  if (end - begin !== elements * bytesPerElement[dtype]) {
    return fail(`tensor '${name}': data_offsets span ${end - begin} bytes but shape ${JSON.stringify(shape)} of ${dtype} needs ${elements * bytesPerElement[dtype]}`);
  }
  return { dtype, shape: shape as number[], begin, end };
}

/** A parsed header: the tensors' entries and metadata, and how long the data section must be. */
export interface SafetensorsHeader {
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly dataLength: number;
}

/** Reads the 8-byte little-endian header length at the start of `bytes`, checked. */
export function headerLengthOf(bytes: Uint8Array): number {
  if (bytes.byteLength < 8) fail(`file of ${bytes.byteLength} bytes is shorter than the 8-byte header length`);
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES) fail(`header length ${headerLength} exceeds ${MAX_HEADER_BYTES}`);
  return headerLength;
}

/** Parses the JSON header: every entry, then the tensors' spans, which must tile the data section without gaps or overlaps. */
export function parseHeader(json: Uint8Array): SafetensorsHeader {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(json));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("header must be a JSON object");
  let metadata: Record<string, string> = {};
  const tensors = new Map<string, TensorInfo>();
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof raw !== "object" || raw === null || !Object.values(raw).every((v) => typeof v === "string")) {
        fail("__metadata__ must map strings to strings");
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    tensors.set(name, parseTensorInfo(name, raw));
  }
  const spans = [...tensors.entries()].sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end);
  let cursor = 0;
  for (const [name, info] of spans) {
    if (info.begin !== cursor) {
      fail(info.begin < cursor ? `tensor '${name}' overlaps the tensor before it` : `gap before tensor '${name}' at byte ${cursor}`);
    }
    cursor = info.end;
  }
  return { metadata, tensors, dataLength: cursor };
}

export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  const headerLength = headerLengthOf(bytes);
  if (8 + headerLength > bytes.byteLength) fail(`header length ${headerLength} runs past the end of the file`);
  const { metadata, tensors, dataLength } = parseHeader(bytes.subarray(8, 8 + headerLength));
  const data = bytes.subarray(8 + headerLength);
  if (dataLength !== data.byteLength) fail(`data section is ${data.byteLength} bytes but the tensors cover ${dataLength}`);
  return { metadata, tensors, data };
}

/** A copy of the tensor's values (aligned, little-endian host order assumed, as on every Workers host). */
export function readTensor(file: SafetensorsFile, name: string): Float32Array | Float64Array {
  const info = file.tensors.get(name) ?? fail(`no tensor '${name}'`);
  // Uint8Array's own slice: a copy, even when the data is a Node Buffer (whose slice is a view).
  const bytes = Uint8Array.prototype.slice.call(file.data, info.begin, info.end);
  return info.dtype === "F32" ? new Float32Array(bytes.buffer) : new Float64Array(bytes.buffer);
}

export interface TensorInput {
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array;
}

/** The tensors of a file as its header describes them, in the file's order. */
export interface TensorLayout {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly byteLength: number;
}

/** The 8-byte length and the padded header of a file whose tensors follow in the given order. */
export function safetensorsHeader(tensors: readonly TensorLayout[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.byteLength] };
    offset += t.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const head = new Uint8Array(8 + padded).fill(0x20);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  return head;
}

/** The file as its pieces: the header, then each tensor's bytes (views, not copies), names sorted. */
export function safetensorsChunks(tensors: Record<string, TensorInput>, metadata?: Record<string, string>): Uint8Array[] {
  const names = Object.keys(tensors).sort();
  const layouts = names.map((name): TensorLayout => {
    const t = tensors[name]!;
    return { name, dtype: t.data instanceof Float32Array ? "F32" : "F64", shape: t.shape, byteLength: t.data.byteLength };
  });
  return [safetensorsHeader(layouts, metadata), ...names.map((name) => {
    const d = tensors[name]!.data;
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  })];
}

export function encodeSafetensors(tensors: Record<string, TensorInput>, metadata?: Record<string, string>): Uint8Array {
  const chunks = safetensorsChunks(tensors, metadata);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let cursor = 0;
  for (const c of chunks) {
    out.set(c, cursor);
    cursor += c.byteLength;
  }
  return out;
}
