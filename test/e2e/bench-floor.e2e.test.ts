/**
 * The benchmark floor of bench/e2e.ts (POST /bench/floor/{shard}): served by the bench Worker
 * (bench/floor/wrangler.toml: the production Worker plus the floor), a 404 like any unknown route
 * in the production Worker, and never part of the API's contract. test/math/bundle.test.ts checks
 * that nothing of it is in the production bundle.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createShardstep } from "../../sdk/client";
import { BENCH_CONFIG } from "../support/wrangler";
import { adminToken, DevServer, mintToken } from "./support/server";

let bench: DevServer;
let production: DevServer;

beforeAll(async () => {
  [bench, production] = await Promise.all([DevServer.start({ config: BENCH_CONFIG }), DevServer.start()]);
});

afterAll(async () => {
  await Promise.all([bench?.dispose(), production?.dispose()]);
});

const bytes = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));

async function floor(server: DevServer, query = "", init: { token?: string | null; contentType?: string; body?: BodyInit; shard?: string } = {}) {
  const token = init.token === undefined ? await mintToken(["train"]) : init.token;
  const headers: Record<string, string> = { "content-type": init.contentType ?? "application/octet-stream" };
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(`${server.baseUrl}/bench/floor/${init.shard ?? "floor-test"}${query}`, { method: "POST", headers, body: init.body ?? bytes });
}

describe("the benchmark floor", () => {
  it("is a 404 in the production Worker, whatever the token", async () => {
    for (const token of [await mintToken(["admin"]), null]) {
      const res = await floor(production, "?pages=3", { token });
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ type: "/problems/not-found" });
    }
  });

  it("is not in openapi.yaml", () => {
    const spec = parse(readFileSync(new URL("../../openapi.yaml", import.meta.url), "utf8")) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths).filter((p) => p.startsWith("/bench"))).toEqual([]);
  });

  it("in the bench Worker, writes the pages and echoes the bytes", async () => {
    for (const query of ["", "?pages=3&page_floats=256", "?pages=0"]) {
      const res = await floor(bench, query);
      expect(res.status, query).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/octet-stream");
      expect(new Float32Array(await res.arrayBuffer())).toEqual(bytes);
    }
  });

  it("in the bench Worker, asks for a train token and refuses bad requests as problems", async () => {
    expect((await floor(bench, "", { token: null })).status).toBe(401);
    expect((await floor(bench, "", { token: await mintToken(["read"]) })).status).toBe(403);
    expect((await floor(bench, "", { token: await mintToken(["train"], "other.") })).status).toBe(403);
    for (const query of ["?pages=1000", "?pages=-1", "?page_floats=0", "?page_floats=262145", "?pages=x"]) {
      const res = await floor(bench, query);
      expect(res.status, query).toBe(400);
      expect(await res.json()).toMatchObject({ type: "/problems/invalid-request" });
    }
    expect((await floor(bench, "", { contentType: "text/plain" })).status).toBe(415);
    expect((await floor(bench, "", { body: new Uint8Array(6) })).status).toBe(422);
  });

  it("the bench Worker serves the API, and the floor leaves the shard of its object as it was", async () => {
    const api = createShardstep({ baseUrl: bench.baseUrl, token: await adminToken(), retry: false });
    const shard = "floor-api";
    await api.createShard(shard, { length: bytes.length, rule: "adam", hyper: { lr: 1e-3 } }, { replace: true });
    const pushed = await api.pushGradient(shard, bytes);
    expect(pushed.version).toBe(1);
    const res = await floor(bench, "?pages=9&page_floats=256", { shard });
    expect(res.status).toBe(200);
    const after = await api.getWeights(shard);
    expect(after.version).toBe(1);
    expect(after.values).toEqual(pushed.weights);
    expect((await api.getShard(shard)).version).toBe(1);
  });
});
