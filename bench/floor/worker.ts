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
 *
 * For bench/cost.ts (./meter.ts), with a train token on the shard:
 * GET /bench/meter/{shard}: the rows its object's statements read and wrote since it started, its
 * database size, its id (the name of its file under --persist-to) and its tables.
 * POST /bench/alarm/{shard}: runs the object's alarm handler now (whatever the shard does on its
 * alarm), then answers the meter.
 * GET /bench/wal/{shard}: what the runtime answers to the statements that would bound the
 * write-ahead log or shrink the database file, asked through `ctx.storage.sql`.
 *
 * The socket floor of bench:e2e's (d) (./live-floor.ts, ./live-floor-route.ts), with a train token:
 * GET /bench/floor-live/{shard}?answer=minimal|weights upgrades to a WebSocket accepted by the
 * floor's own object (LIVE_FLOOR, a bench-only class: production's classes and their migrations
 * are untouched), which writes each group of push frames in one transaction before answering them;
 * GET /bench/floor-live/{shard}/stored answers what that object wrote.
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
import type { LiveFloorObject } from "./live-floor";
import { LIVE_FLOOR_ANSWERS, LIVE_FLOOR_ROUTE } from "./live-floor-route";
import { attempt, meterSql, type SqlMeter } from "./meter";

export { CatalogObject } from "../../src/catalog/object";
export { SweepObject } from "../../src/master/object";
export { LiveFloorObject } from "./live-floor";

/** The production shard object plus `floor`, under the production class name (the SHARDS binding and its migrations are production's). */
export class ShardObject extends ApiShardObject {
  private readonly meter: SqlMeter;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Statements the production constructor may have run already (its migrations) go uncounted: the bench measures differences.
    this.meter = meterSql(ctx.storage.sql);
  }

  /** Writes `pages` pages of the bytes in one transaction and answers them (./floor.ts), once the object has started (its migrations). */
  async floor(bytes: ArrayBuffer, pages: number, pageFloats: number): Promise<ArrayBuffer> {
    await this.startup.ready();
    return writeFloor(this.ctx.storage, bytes, pages, pageFloats);
  }

  /** The meter (./meter.ts): rows read and written since the object started, the database's size, the object's id and tables. */
  async metered() {
    await this.startup.ready();
    const tables = this.meter.unmetered<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").toArray();
    return { ...this.meter.totals(), databaseSize: this.ctx.storage.sql.databaseSize, id: this.ctx.id.toString(), tables: tables.map((t) => t.name) };
  }

  /** Runs the object's alarm handler now (whatever the shard does on its alarm), then answers the meter. */
  async runAlarm() {
    await this.alarm();
    return this.metered();
  }

  /** What the runtime answers to the statements that would checkpoint or bound the write-ahead log, or shrink the database file. */
  async walPragmas(): Promise<Record<string, string>> {
    await this.startup.ready();
    const statements = ["PRAGMA wal_checkpoint(TRUNCATE)", "PRAGMA journal_size_limit", "PRAGMA journal_size_limit = 0", "PRAGMA wal_autocheckpoint", "PRAGMA journal_mode", "VACUUM", "PRAGMA auto_vacuum", "PRAGMA incremental_vacuum"];
    return Object.fromEntries(statements.map((s) => [s, attempt(this.ctx.storage.sql, s)]));
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

/** The shard named in the path, once the token may train it. */
function trainableShard(c: Context<EdgeEnv>, what: string): string {
  const shard = c.req.param("shard") ?? "";
  if (!SHARD_NAME.test(shard)) refuse("invalid-request", `invalid param: '${shard}' is not a shard name`);
  requireScope(c, "train", shard, what);
  return shard;
}

/** The object of the shard named in the path, with the bench's methods (SHARDS is typed with the production class). */
function benchShard(c: Context<EdgeEnv>, what: string) {
  const shard = trainableShard(c, what);
  const shards = c.env.SHARDS as unknown as DurableObjectNamespace<ShardObject>;
  return shards.get(shards.idFromName(shard));
}

/** The socket floor's object of the name in the path (LIVE_FLOOR is the bench Worker's alone, so not in production's Env). */
function liveFloor(c: Context<EdgeEnv>, what: string) {
  const name = trainableShard(c, what);
  const floors = (c.env as unknown as { LIVE_FLOOR: DurableObjectNamespace<LiveFloorObject> }).LIVE_FLOOR;
  return floors.get(floors.idFromName(name));
}

const app = createApp();
app.use("/bench/*", bearerAuth());
app.post("/bench/floor/:shard", async (c) => {
  const stub = benchShard(c, "run the benchmark floor on");
  const pageFloats = count(c.req.query("page_floats"), "page_floats", MAX_PAGE_FLOATS, 1, MAX_PAGE_FLOATS);
  const bytes = await readFloatsBody(c, "the body");
  const pages = count(c.req.query("pages"), "pages", Math.ceil(bytes.byteLength / (pageFloats * 4)), 0, MAX_FLOOR_PAGES);
  const echoed = await stub.floor(bytes, pages, pageFloats);
  return c.body(echoed, 200, { "content-type": OCTET_STREAM });
});

app.get(`${LIVE_FLOOR_ROUTE}/:shard`, async (c) => {
  const stub = liveFloor(c, "run the socket floor on");
  const answer = c.req.query("answer") ?? "minimal";
  if (!(LIVE_FLOOR_ANSWERS as readonly string[]).includes(answer)) refuse("invalid-request", `invalid query: answer must be ${LIVE_FLOOR_ANSWERS.join(" or ")}, got ${answer}`);
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") refuse("upgrade-required", "the socket floor is a WebSocket: open it with `Upgrade: websocket`");
  // A request built here, as the production live route builds its own: nothing the client sent reaches the object.
  return stub.fetch(new Request(`https://floor${LIVE_FLOOR_ROUTE}?answer=${answer}`, { headers: { upgrade: "websocket" } }));
});
app.get(`${LIVE_FLOOR_ROUTE}/:shard/stored`, async (c) => c.json(await liveFloor(c, "read the socket floor of").stored()));
app.get("/bench/meter/:shard", async (c) => c.json(await benchShard(c, "meter").metered()));
app.post("/bench/alarm/:shard", async (c) => c.json(await benchShard(c, "run the alarm of").runAlarm()));
app.get("/bench/wal/:shard", async (c) => c.json(await benchShard(c, "ask the WAL pragmas of").walPragmas()));

export default app;
