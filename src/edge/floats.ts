import type { Context } from "hono";
import { MAX_BODY_BYTES, MAX_JSON_BODY_BYTES, MAX_JSON_FLOATS } from "../shard/limits";
import type { VectorRead } from "../shard/types";
import { ProblemError } from "./problem";

/**
 * Float32 vectors on the wire: raw little-endian bytes (application/octet-stream) first, JSON
 * number arrays for small payloads. JSON costs 30-60x the update itself.
 */
export const OCTET_STREAM = "application/octet-stream";
const JSON_TYPE = "application/json";

export const mediaType = (header: string | undefined) => header?.split(";")[0]?.trim().toLowerCase() ?? "";

export function unsupportedMediaType(received: string | undefined, accepted: string[]): ProblemError {
  return new ProblemError(415, "unsupported-media-type", "Unsupported Media Type", `Content-Type ${received ? `'${received}'` : "is missing"}; send ${accepted.join(" or ")}`, { accepted });
}

export function tooLarge(bytes: number, limit: number, what: string): ProblemError {
  return new ProblemError(413, "body-too-large", "Body Too Large", `${what} of ${bytes} bytes exceeds the limit of ${limit} bytes`, { limit });
}

/** Reads a body of at most `limit` bytes, refusing early on Content-Length and while streaming. */
export async function readBodyBytes(c: Context, limit: number, what = "the body"): Promise<ArrayBuffer> {
  const declared = Number(c.req.header("content-length") ?? NaN);
  if (declared > limit) throw tooLarge(declared, limit, what);
  const body = c.req.raw.body;
  if (!body) return new ArrayBuffer(0);
  // With a declared length the runtime frames the body to it: one read, no chunks to gather.
  if (!Number.isNaN(declared)) return c.req.raw.arrayBuffer();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge(total, limit, what);
    }
    chunks.push(value);
  }
  if (chunks.length === 1 && chunks[0]!.byteOffset === 0 && chunks[0]!.byteLength === chunks[0]!.buffer.byteLength) {
    return chunks[0]!.buffer as ArrayBuffer;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out.buffer;
}

export async function readJsonBody(c: Context): Promise<unknown> {
  const type = mediaType(c.req.header("content-type"));
  if (type !== JSON_TYPE) throw unsupportedMediaType(c.req.header("content-type"), [JSON_TYPE]);
  const bytes = await readBodyBytes(c, MAX_JSON_BODY_BYTES, "the JSON body");
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new ProblemError(400, "malformed-json", "Malformed JSON", `the body is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * A float32 body: raw bytes, or `{"values": [...]}` for small payloads. Returns little-endian bytes.
 * It enforces the body limits itself (MAX_BODY_BYTES, MAX_JSON_BODY_BYTES): routes that read their
 * body here need no bodyLimit middleware.
 */
export async function readFloatsBody(c: Context, what: string): Promise<ArrayBuffer> {
  const type = mediaType(c.req.header("content-type"));
  if (type === OCTET_STREAM) {
    const bytes = await readBodyBytes(c, MAX_BODY_BYTES, what);
    if (bytes.byteLength % 4 !== 0) {
      throw new ProblemError(422, "wrong-length", "Wrong Length", `${what} is ${bytes.byteLength} bytes, not a whole number of float32 values`);
    }
    return bytes;
  }
  if (type === JSON_TYPE) {
    const body = await readJsonBody(c);
    const values = (body as { values?: unknown } | null)?.values;
    if (!Array.isArray(values) || !values.every((v) => typeof v === "number")) {
      throw new ProblemError(400, "malformed-json", "Malformed JSON", `${what} as JSON must be {"values": [numbers]}`);
    }
    if (values.length > MAX_JSON_FLOATS) {
      throw new ProblemError(413, "json-too-long", "JSON Too Long", `${what} has ${values.length} JSON numbers; at most ${MAX_JSON_FLOATS} travel as JSON: send ${OCTET_STREAM}`, { limit: MAX_JSON_FLOATS });
    }
    return Float32Array.from(values as number[]).buffer;
  }
  throw unsupportedMediaType(c.req.header("content-type"), [OCTET_STREAM, JSON_TYPE]);
}

/** Which representation the client accepts: raw bytes unless it prefers JSON. */
export function wantsJson(c: Context): boolean {
  const accept = c.req.header("accept");
  if (!accept) return false;
  let best: { type: string; q: number } | undefined;
  for (const part of accept.split(",")) {
    const [type, ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    const q = Number(params.find((p) => p.startsWith("q="))?.slice(2) ?? 1);
    if (type !== JSON_TYPE && type !== OCTET_STREAM && type !== "*/*" && type !== "application/*") continue;
    const weight = type === JSON_TYPE ? q : q + (type === OCTET_STREAM ? 0.0001 : 0);
    if (!best || weight > best.q) best = { type: type!, q: weight };
  }
  if (!best || best.q <= 0) {
    throw new ProblemError(406, "not-acceptable", "Not Acceptable", `Accept '${accept}' matches neither ${OCTET_STREAM} nor ${JSON_TYPE}`);
  }
  return best.type === JSON_TYPE;
}

export function vectorHeaders(read: Pick<VectorRead, "version" | "revision">): Record<string, string> {
  return { etag: `"${read.revision}"`, "x-shard-version": String(read.version), "x-shard-revision": String(read.revision) };
}

/** Answers a vector in the representation the client accepts. */
export function sendFloats(c: Context, read: VectorRead, headers: Record<string, string> = {}): Response {
  const all = { ...vectorHeaders(read), "x-offset": String(read.offset), ...headers };
  if (wantsJson(c)) {
    const values = new Float32Array(read.bytes);
    if (values.length > MAX_JSON_FLOATS) {
      throw new ProblemError(406, "json-too-long", "JSON Too Long", `${values.length} floats do not travel as JSON (at most ${MAX_JSON_FLOATS}); accept ${OCTET_STREAM} or read a range`, { limit: MAX_JSON_FLOATS });
    }
    return c.json({ version: read.version, revision: read.revision, offset: read.offset, values: Array.from(values) }, 200, all);
  }
  return c.body(read.bytes, 200, { ...all, "content-type": OCTET_STREAM });
}
