import type { Context, MiddlewareHandler } from "hono";
import { MAX_JSON_FLOATS } from "../limits";
import { refuse, RefusalError } from "../problems";
import type { VectorRead } from "../shard/types";
import { checkJsonDepth, readBody } from "./body";
import { floatCount } from "../formats/float32";

/**
 * Float32 vectors on the wire: raw little-endian bytes (application/octet-stream) first, JSON
 * number arrays for small payloads. JSON costs 30-60x the update itself.
 */
export const OCTET_STREAM = "application/octet-stream";
export const JSON_TYPE = "application/json";

export const mediaType = (header: string | undefined) => header?.split(";")[0]?.trim().toLowerCase() ?? "";

export function unsupportedMediaType(received: string | undefined, accepted: string[]): RefusalError {
  return new RefusalError("unsupported-media-type", `Content-Type ${received ? `'${received}'` : "is missing"}; send ${accepted.join(" or ")}`, { accepted });
}

/**
 * Middleware of a route whose JSON body is required: a request without one (no Content-Type) is
 * 415, naming the type to send, as on the routes that read their bodies themselves; the validator
 * would otherwise take it for an empty object.
 */
export const requireJsonBody: MiddlewareHandler = async (c, next) => {
  if (c.req.header("content-type") === undefined) throw unsupportedMediaType(undefined, [JSON_TYPE]);
  await next();
};

/** A JSON body (application/json only), parsed. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const type = mediaType(c.req.header("content-type"));
  if (type !== JSON_TYPE) throw unsupportedMediaType(c.req.header("content-type"), [JSON_TYPE]);
  const text = new TextDecoder().decode(await readBody(c, "json", "the JSON body"));
  checkJsonDepth(text);
  try {
    return JSON.parse(text);
  } catch (e) {
    return refuse("malformed-json", `the body is not valid JSON: ${(e as Error).message}`);
  }
}

/** A float32 body: raw bytes, or `{"values": [...]}` for small payloads, each within its body limit. Returns little-endian bytes. */
export async function readFloatsBody(c: Context, what: string): Promise<ArrayBuffer> {
  const type = mediaType(c.req.header("content-type"));
  if (type === OCTET_STREAM) {
    const bytes = await readBody(c, "floats", what);
    floatCount(bytes, what);
    return bytes;
  }
  if (type === JSON_TYPE) {
    const body = await readJsonBody(c);
    const values = (body as { values?: unknown } | null)?.values;
    if (!Array.isArray(values) || !values.every((v) => typeof v === "number")) refuse("malformed-json", `${what} as JSON must be {"values": [numbers]}`);
    const numbers = values as number[];
    if (numbers.length > MAX_JSON_FLOATS) {
      refuse("json-too-long", `${what} has ${numbers.length} JSON numbers; at most ${MAX_JSON_FLOATS} travel as JSON: send ${OCTET_STREAM}`, { limit: MAX_JSON_FLOATS });
    }
    return Float32Array.from(numbers).buffer;
  }
  throw unsupportedMediaType(c.req.header("content-type"), [OCTET_STREAM, JSON_TYPE]);
}

/** The media ranges of an Accept header, each with its weight (RFC 9110 §12.5.1). */
function acceptRanges(accept: string): { range: string; q: number }[] {
  return accept.split(",").map((part) => {
    const [range = "", ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    return { range, q: Number(params.find((p) => p.startsWith("q="))?.slice(2) ?? 1) };
  });
}

/** Whether a media range (`*\/*`, `application/*`, a type) covers a media type. */
const covers = (range: string, type: string) => range === type || range === "*/*" || (range.endsWith("/*") && type.startsWith(range.slice(0, -1)));

/** Which representation the client accepts: raw bytes unless it prefers JSON. */
export function wantsJson(c: Context): boolean {
  const accept = c.req.header("accept");
  if (!accept) return false;
  let best: { type: string; q: number } | undefined;
  for (const { range, q } of acceptRanges(accept)) {
    if (!covers(range, JSON_TYPE) && !covers(range, OCTET_STREAM)) continue;
    const weight = range === JSON_TYPE ? q : q + (range === OCTET_STREAM ? 0.0001 : 0);
    if (!best || weight > best.q) best = { type: range, q: weight };
  }
  if (!best || best.q <= 0) refuse("not-acceptable", `Accept '${accept}' matches neither ${OCTET_STREAM} nor ${JSON_TYPE}`);
  return best!.type === JSON_TYPE;
}

/**
 * Refuses (406) an Accept that takes none of `types`, the representations a route answers: before
 * anything is read or changed, as a shard's vector routes do (wantsJson).
 */
export function ensureAcceptable(c: Context, types: readonly string[]): void {
  const accept = c.req.header("accept");
  if (!accept || acceptRanges(accept).some(({ range, q }) => q > 0 && types.some((t) => covers(range, t)))) return;
  refuse("not-acceptable", `Accept '${accept}' matches none of ${types.join(", ")}`);
}

/** The headers that say which state of the shard a vector is: ETag (the revision), X-Shard-Version, X-Shard-Revision. */
export function versionHeadersOf(read: Pick<VectorRead, "version" | "revision">): Record<string, string> {
  return { etag: `"${read.revision}"`, "x-shard-version": String(read.version), "x-shard-revision": String(read.revision) };
}

/**
 * Whether an answer of `count` floats goes as JSON (else raw bytes); refuses an Accept that takes
 * neither, or JSON of more than MAX_JSON_FLOATS. A request that changes state asks this before it
 * changes anything, so that no refusal follows a change.
 */
export function answersJson(c: Context, count: number): boolean {
  if (!wantsJson(c)) return false;
  if (count > MAX_JSON_FLOATS) {
    refuse("json-too-long-answer", `${count} floats do not travel as JSON (at most ${MAX_JSON_FLOATS}); accept ${OCTET_STREAM} or read a range`, { limit: MAX_JSON_FLOATS });
  }
  return true;
}

/** Answers a vector in the representation the client accepts; `body`, when given, is its raw bytes as a stream (`read.bytes` is then not read). */
export function sendFloats(c: Context, read: VectorRead, headers: Record<string, string> = {}, body?: ReadableStream<Uint8Array>) {
  const all = { ...versionHeadersOf(read), "x-offset": String(read.offset), ...headers };
  if (body) return c.body(body, 200, { ...all, "content-type": OCTET_STREAM });
  if (answersJson(c, read.bytes.byteLength / 4)) {
    return c.json({ version: read.version, revision: read.revision, offset: read.offset, values: Array.from(new Float32Array(read.bytes)) }, 200, all);
  }
  return c.body(read.bytes, 200, { ...all, "content-type": OCTET_STREAM });
}
