/**
 * The benchmark floors of bench/e2e.ts (POST /bench/floor/{shard}, and the socket floor
 * GET /bench/floor-live/{shard}, bench/floor/live-floor.ts): served by the bench Worker
 * (bench/floor/wrangler.toml: the production Worker plus the floor), a 404 like any unknown route
 * in the production Worker, and never part of the API's contract. test/math/bundle.test.ts checks
 * that nothing of it is in the production bundle.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { LIVE_FLOOR_ANSWERS, LIVE_FLOOR_FLOATS, LIVE_FLOOR_ROUTE, liveFloorUrl, type LiveFloorStored } from "../../bench/floor/live-floor-route";
import { createShardstep } from "../../sdk/client";
import { decodeFrame, encodeFrame, type Frame } from "../../src/formats/live-frames";
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

/** A WebSocket to the socket floor, with every frame it received, decoded, and a wait for the nth. */
async function floorSocket(url: string, token: string) {
  // undici's WebSocket (Node's global) takes headers in its init; the DOM's type does not know it.
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } } as unknown as string[]);
  ws.binaryType = "arraybuffer";
  const frames: Frame[] = [];
  let arrived = () => undefined as void;
  ws.onmessage = (event) => {
    frames.push(decodeFrame(event.data as ArrayBuffer, 1 << 20));
    arrived();
  };
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error(`${url}: the upgrade failed`));
  });
  const received = async (n: number) => {
    while (frames.length < n) await new Promise<void>((resolve) => (arrived = resolve));
    return frames.slice(0, n);
  };
  const closed = () => new Promise((resolve) => ((ws.onclose = resolve), ws.close(1000)));
  return { ws, received, closed };
}

describe("the socket floor", () => {
  const shard = "floor-live-test";
  // Seeded floats (no randomness): four gradients of the floor's length.
  const gradients = [1, 2, 3, 4].map((seed) => Float32Array.from({ length: LIVE_FLOOR_FLOATS }, (_, i) => Math.sin(seed * 1000 + i)));

  it("in the bench Worker, answers each push frame once written, with the right bytes, and keeps its rows after the socket closes", async () => {
    const token = await mintToken(["train"]);
    const keys: string[] = [];
    for (const answer of LIVE_FLOOR_ANSWERS) {
      const socket = await floorSocket(liveFloorUrl(bench.baseUrl, shard, answer), token);
      const sent = gradients.map((g, i) => `${answer}-${i}`);
      // All four in flight at once: they may share a write.
      sent.forEach((key, i) => socket.ws.send(encodeFrame("push", { key }, gradients[i])));
      const [welcome, ...answers] = await socket.received(1 + sent.length);
      expect(welcome!.kind).toBe("welcome");
      expect(answers.map((f) => [f.kind, f.header.key, f.header.version])).toEqual(sent.map((key, i) => ["answer", key, keys.length + i + 1]));
      for (const [i, f] of answers.entries()) expect(f.payload, answer).toEqual(answer === "weights" ? gradients[i] : new Float32Array(0));
      await socket.closed();
      keys.push(...sent);
    }
    const res = await fetch(`${bench.baseUrl}${LIVE_FLOOR_ROUTE}/${shard}/stored`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const stored = (await res.json()) as LiveFloorStored;
    expect(stored.pushes).toBe(keys.length);
    expect(stored.writes).toBeGreaterThanOrEqual(2);
    expect(stored.writes).toBeLessThanOrEqual(keys.length);
    expect(stored.keys).toEqual(keys);
    expect(Float32Array.from(stored.vector)).toEqual(gradients.at(-1));
  });

  it("refuses a request that is no upgrade, an unknown answer and a token that may not train; is a 404 in production", async () => {
    const get = (server: DevServer, path: string, token: string) => fetch(`${server.baseUrl}${LIVE_FLOOR_ROUTE}/${shard}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const train = await mintToken(["train"]);
    expect((await get(bench, "", train)).status).toBe(426);
    expect((await get(bench, "?answer=all", train)).status).toBe(400);
    expect((await get(bench, "/stored", await mintToken(["read"]))).status).toBe(403);
    expect((await get(production, "/stored", await mintToken(["admin"]))).status).toBe(404);
  });
});
