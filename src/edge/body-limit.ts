import type { MiddlewareHandler } from "hono";
import { ProblemError } from "./problem";

/**
 * Refuses a body larger than `maxBytes` before anything reads it: on Content-Length when sent,
 * else while streaming (the body is re-wrapped with a counting stream).
 */
export function bodyLimit(maxBytes: number): MiddlewareHandler {
  return async function bodyLimit(c, next) {
    const refuse = (bytes: number) =>
      new ProblemError(413, "body-too-large", "Body Too Large", `the body of ${bytes} bytes exceeds the limit of ${maxBytes} bytes`, { limit: maxBytes });
    const declared = Number(c.req.header("content-length") ?? NaN);
    if (declared > maxBytes) throw refuse(declared);
    const body = c.req.raw.body;
    if (body && Number.isNaN(declared)) {
      let seen = 0;
      const counted = body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            seen += chunk.byteLength;
            if (seen > maxBytes) controller.error(refuse(seen));
            else controller.enqueue(chunk);
          },
        }),
      );
      c.req.raw = new Request(c.req.raw, { body: counted, duplex: "half" } as RequestInit);
    }
    await next();
  };
}
