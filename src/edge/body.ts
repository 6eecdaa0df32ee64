import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { MAX_BODY_BYTES, MAX_JSON_BODY_BYTES, MAX_MODEL_BODY_BYTES } from "../limits";
import { RefusalError } from "../problems";

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

/** Middleware of a route whose body the route's schema validates (JSON): refuses it over the kind's limit first. */
export const limitBody = (kind: BodyKind): MiddlewareHandler => limiter(kind, "the body");

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
