import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { MAX_BODY_BYTES, MAX_JSON_BODY_BYTES, MAX_JSON_DEPTH, MAX_MODEL_BODY_BYTES, MAX_STATE_BODY_BYTES } from "../limits";
import { refuse, RefusalError } from "../problems";

/**
 * Request bodies, read within their limit: refused on Content-Length before anything is read,
 * else while they stream. The limit is stated once per kind of body, and this is the one place
 * that refuses a body as too large (413 /problems/body-too-large, with `limit`).
 */
export const BODY_LIMITS = {
  /** Configuration, metrics, small float arrays. */
  json: MAX_JSON_BODY_BYTES,
  /** Raw float32: one vector of the longest shard. */
  floats: MAX_BODY_BYTES,
  /** A whole model's safetensors, streamed into per-shard buffers. */
  safetensors: MAX_MODEL_BODY_BYTES,
  /** An optimizer state file, streamed to the shard page by page (docs/state.md). */
  state: MAX_STATE_BODY_BYTES,
} as const;

export type BodyKind = keyof typeof BODY_LIMITS;

function bodyTooLarge(kind: BodyKind, what: string, bytes?: number): RefusalError {
  const limit = BODY_LIMITS[kind];
  const size = bytes === undefined ? "" : ` of ${bytes} bytes`;
  return new RefusalError("body-too-large", `${what}${size} exceeds the limit of ${limit} bytes`, { limit });
}

const declaredLength = (c: Context): number | undefined => {
  const declared = Number(c.req.header("content-length") ?? NaN);
  return Number.isNaN(declared) ? undefined : declared;
};

/** Hono's bodyLimit for a kind: the declared length checked first, else the body buffered up to the limit. */
const limiter = (kind: BodyKind, what: string): MiddlewareHandler =>
  bodyLimit({
    maxSize: BODY_LIMITS[kind],
    onError: (c) => {
      throw bodyTooLarge(kind, what, declaredLength(c));
    },
  });

/**
 * Refuses a JSON text that nests arrays and objects deeper than MAX_JSON_DEPTH, before it is
 * parsed: parsers and validators recurse per level. One pass over the text, skipping strings.
 */
export function checkJsonDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // a backslash escapes the next character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) {
        refuse("invalid-request", `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects (at character ${i}); at most ${MAX_JSON_DEPTH} are accepted`, {
          limit: MAX_JSON_DEPTH,
        });
      }
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
}

/** The media types Hono's validator parses as JSON. */
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * Middleware of a route whose body the route's schema validates: refuses it over the kind's
 * limit first, then a JSON body nested too deep (the validator parses the text read here).
 */
export const limitBody = (kind: BodyKind): MiddlewareHandler => {
  const limit = limiter(kind, "the body");
  return async (c, next) => {
    await limit(c, async () => {});
    if (JSON_MEDIA_TYPE.test(c.req.header("content-type")?.split(";")[0]?.trim() ?? "")) checkJsonDepth(await c.req.text());
    await next();
  };
};

/** Reads the whole body, refusing it over the kind's limit. */
export async function readBody(c: Context, kind: BodyKind, what = "the body"): Promise<ArrayBuffer> {
  await limiter(kind, what)(c, async () => {});
  return c.req.arrayBuffer();
}

/**
 * The body as a stream, for bodies too large to hold twice (a model's safetensors): refused on its
 * Content-Length at once, else errored with the refusal as soon as it grows past the limit.
 */
export function readBodyStream(c: Context, kind: BodyKind, what = "the body"): ReadableStream<Uint8Array> | null {
  const declared = declaredLength(c);
  if (declared !== undefined && declared > BODY_LIMITS[kind]) throw bodyTooLarge(kind, what, declared);
  const body = c.req.raw.body;
  if (!body) return null;
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > BODY_LIMITS[kind]) controller.error(bodyTooLarge(kind, what, seen));
        else controller.enqueue(chunk);
      },
    }),
  );
}
