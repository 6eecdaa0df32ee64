/**
 * The benchmark floor of bench/e2e.ts (POST /bench/floor/{shard}): served only with the Worker var
 * BENCH_FLOOR=on, a 404 like any unknown route otherwise, and never part of the API's contract.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DevServer, mintToken } from "./support/server";

let on: DevServer;
let off: DevServer;

beforeAll(async () => {
  [on, off] = await Promise.all([DevServer.start({ vars: { BENCH_FLOOR: "on" } }), DevServer.start()]);
});

afterAll(async () => {
  await Promise.all([on?.dispose(), off?.dispose()]);
});

const bytes = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));

async function floor(server: DevServer, query = "", init: { token?: string | null; contentType?: string; body?: BodyInit } = {}) {
  const token = init.token === undefined ? await mintToken(["train"]) : init.token;
  const headers: Record<string, string> = { "content-type": init.contentType ?? "application/octet-stream" };
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(`${server.baseUrl}/bench/floor/floor-test${query}`, { method: "POST", headers, body: init.body ?? bytes });
}

describe("the benchmark floor", () => {
  it("is a 404 unless BENCH_FLOOR is on, whatever the token", async () => {
    for (const token of [await mintToken(["admin"]), null]) {
      const res = await floor(off, "?pages=3", { token });
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ type: "/problems/not-found" });
    }
  });

  it("is not in openapi.yaml", () => {
    const spec = parse(readFileSync(new URL("../../openapi.yaml", import.meta.url), "utf8")) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths).filter((p) => p.startsWith("/bench"))).toEqual([]);
  });

  it("with BENCH_FLOOR=on, writes the pages and echoes the bytes", async () => {
    for (const query of ["", "?pages=3&page_floats=256", "?pages=0"]) {
      const res = await floor(on, query);
      expect(res.status, query).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/octet-stream");
      expect(new Float32Array(await res.arrayBuffer())).toEqual(bytes);
    }
  });

  it("with BENCH_FLOOR=on, asks for a train token and refuses bad requests as problems", async () => {
    expect((await floor(on, "", { token: null })).status).toBe(401);
    expect((await floor(on, "", { token: await mintToken(["read"]) })).status).toBe(403);
    expect((await floor(on, "", { token: await mintToken(["train"], "other.") })).status).toBe(403);
    for (const query of ["?pages=1000", "?pages=-1", "?page_floats=0", "?page_floats=262145", "?pages=x"]) {
      const res = await floor(on, query);
      expect(res.status, query).toBe(400);
      expect(await res.json()).toMatchObject({ type: "/problems/invalid-request" });
    }
    expect((await floor(on, "", { contentType: "text/plain" })).status).toBe(415);
    expect((await floor(on, "", { body: new Uint8Array(6) })).status).toBe(422);
  });
});
