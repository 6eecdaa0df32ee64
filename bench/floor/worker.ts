/**
 * The bench Worker (bench/floor/wrangler.toml): the production Worker (every route of
 * src/edge/app.ts, with its auth, its problems and its 404s; the same Durable Object classes under
 * the same bindings) plus the floor of bench/e2e.ts. Only `wrangler dev -c bench/floor/wrangler.toml`
 * runs it (bench/e2e.ts, test/e2e/bench-floor.e2e.test.ts); it is never deployed, and nothing of it
 * is in the production bundle (test/math/bundle.test.ts checks).
 *
 * POST /bench/floor/{shard}?pages=N&page_floats=M: the request path of a push (auth, body limit and
 * read, one RPC to the shard's object carrying the bytes, the bytes back as
 * application/octet-stream), but the object only writes N pages of the bytes in one transaction
 * (./floor.ts). `page_floats` defaults to the largest page, `pages` to the pages of one vector of
 * the body's length. Not one of the API's OpenAPI routes, so never in openapi.yaml.
 */
import type { Context } from "hono";
import { bearerAuth, requireScope } from "../../src/edge/auth/middleware";
import { createApp } from "../../src/edge/app";
import { OCTET_STREAM, readFloatsBody } from "../../src/edge/floats";
import type { EdgeEnv } from "../../src/edge/types";
import { MAX_PAGE_FLOATS } from "../../src/limits";
import { SHARD_NAME } from "../../src/names";
import { refuse } from "../../src/problems";
import { ShardObject as ApiShardObject } from "../../src/shard/object";
import { MAX_FLOOR_PAGES, writeFloor } from "./floor";

export { CatalogObject } from "../../src/catalog/object";
export { SweepObject } from "../../src/master/object";

/** The production shard object plus `floor`, under the production class name (the SHARDS binding and its migrations are production's). */
export class ShardObject extends ApiShardObject {
  /** Writes `pages` pages of the bytes in one transaction and answers them (./floor.ts), once the object has started (its migrations). */
  async floor(bytes: ArrayBuffer, pages: number, pageFloats: number): Promise<ArrayBuffer> {
    await this.startup.ready();
    return writeFloor(this.ctx.storage, bytes, pages, pageFloats);
  }
}

function count(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    refuse("invalid-request", `invalid query: ${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return n;
}

/** The stub of a shard's object with `floor` (SHARDS is typed with the production class). */
function floorStub(c: Context<EdgeEnv>, name: string) {
  const shards = c.env.SHARDS as unknown as DurableObjectNamespace<ShardObject>;
  return shards.get(shards.idFromName(name));
}

const app = createApp();
app.use("/bench/*", bearerAuth());
app.post("/bench/floor/:shard", async (c) => {
  const shard = c.req.param("shard");
  if (!SHARD_NAME.test(shard)) refuse("invalid-request", `invalid param: '${shard}' is not a shard name`);
  requireScope(c, "train", shard, "run the benchmark floor on");
  const pageFloats = count(c.req.query("page_floats"), "page_floats", MAX_PAGE_FLOATS, 1, MAX_PAGE_FLOATS);
  const bytes = await readFloatsBody(c, "the body");
  const pages = count(c.req.query("pages"), "pages", Math.ceil(bytes.byteLength / (pageFloats * 4)), 0, MAX_FLOOR_PAGES);
  const echoed = await floorStub(c, shard).floor(bytes, pages, pageFloats);
  return c.body(echoed, 200, { "content-type": OCTET_STREAM });
});

export default app;
