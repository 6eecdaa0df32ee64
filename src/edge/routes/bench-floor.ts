import { Hono } from "hono";
import { MAX_FLOOR_PAGES } from "../../shard/floor";
import { MAX_PAGE_FLOATS } from "../../shard/limits";
import { bearerAuth, requireScope } from "../auth/middleware";
import { OCTET_STREAM, readFloatsBody } from "../floats";
import { notFound, ProblemError, problemResponse } from "../problem";
import { NAME_PATTERN, shardStub } from "../shards";
import type { EdgeEnv } from "../types";

/**
 * POST /bench/floor/{shard}?pages=N&page_floats=M — the floor of bench/e2e.ts: the request path of
 * a push (auth, body limit and read, one RPC to the shard's object carrying the bytes, the bytes
 * back as application/octet-stream), but the object only writes N pages of the bytes in one
 * transaction (src/shard/floor.ts). `page_floats` defaults to the largest page, `pages` to the pages
 * of one vector of the body's length.
 *
 * A separate app: src/edge/app.ts hands it /bench/* only when the Worker var BENCH_FLOOR is "on"
 * (`wrangler dev --var BENCH_FLOOR:on`), so it is not a route of the API, not in openapi.yaml, and
 * a 404 otherwise. The object refuses `floor` too unless the var is on.
 */
function count(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new ProblemError(400, "invalid-request", "Invalid Request", `invalid query: ${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return n;
}

export const benchFloor = new Hono<EdgeEnv>()
  .use("/bench/*", bearerAuth())
  .post("/bench/floor/:shard", async (c) => {
    const shard = c.req.param("shard");
    if (!NAME_PATTERN.test(shard)) throw new ProblemError(400, "invalid-request", "Invalid Request", `invalid param: '${shard}' is not a shard name`);
    requireScope(c, "train", shard, "run the benchmark floor on");
    const pageFloats = count(c.req.query("page_floats"), "page_floats", MAX_PAGE_FLOATS, 1, MAX_PAGE_FLOATS);
    const bytes = await readFloatsBody(c, "the body");
    const pages = count(c.req.query("pages"), "pages", Math.ceil(bytes.byteLength / (pageFloats * 4)), 0, MAX_FLOOR_PAGES);
    const echoed = await shardStub(c, shard).floor(bytes, pages, pageFloats);
    return c.body(echoed, 200, { "content-type": OCTET_STREAM });
  })
  .notFound((c) => problemResponse(c, notFound(`no route for ${c.req.method} ${new URL(c.req.url).pathname}`)))
  .onError((err, c) => {
    if (err instanceof ProblemError) return problemResponse(c, err);
    console.error(err);
    return problemResponse(c, new ProblemError(500, "internal", "Internal Server Error", "the server failed to handle the request"));
  });
