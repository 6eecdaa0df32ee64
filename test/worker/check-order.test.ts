import { describe, expect, it } from "vitest";
import { call, createShard, push, token, type CallOptions } from "./support/api";

// Scope before validation: a token learns nothing about a request it may not make (middleware
// `scoped` runs before each route's validators). Integers in queries, headers and paths are digits only.
const bad = (init: CallOptions & { path: string }) => init;
const invalidRequests = (shard: string, model: string) => [
  bad({ path: `/v1/shards/${shard}/weights?offset=%201` }),
  bad({ path: `/v1/shards/${shard}/averages/ema?length=-1` }),
  bad({ path: `/v1/shards/${shard}/weights?offset=x`, method: "PUT", floats: [1] }),
  bad({ path: `/v1/shards/${shard}/gradients?offset=abc`, method: "POST", floats: [1], headers: { "x-base-version": "1e0" } }),
  bad({ path: `/v1/shards/${shard}`, method: "PUT", json: { length: "many" } }),
  bad({ path: `/v1/shards/${shard}`, method: "PATCH", json: { hyper: 3 } }),
  bad({ path: `/v1/shards/${shard}/metrics`, method: "POST", json: { value: "low" } }),
  bad({ path: `/v1/shards/${shard}/checkpoints`, method: "POST", json: { label: 5 } }),
  bad({ path: `/v1/shards/${shard}/checkpoints/abc` }),
  bad({ path: `/v1/shards/${shard}/checkpoints/abc/restore`, method: "POST" }),
  bad({ path: `/v1/shards/${shard}/ensemble` }),
  bad({ path: `/v1/models/${model}`, method: "PUT", json: {} }),
  bad({ path: `/v1/models/${model}/gradients`, method: "POST", body: "x", headers: { "content-type": "application/octet-stream", "x-sample-count": "many" } }),
  bad({ path: `/v1/models/${model}/ensemble?last=0` }),
  bad({ path: `/v1/models/${model}/checkpoints/x`, method: "DELETE" }),
];

async function status(init: CallOptions & { path: string }, bearer: string): Promise<[number, string]> {
  const { path, ...rest } = init;
  const res = await call(path, { ...rest, headers: { ...(rest.headers as Record<string, string>), authorization: `Bearer ${bearer}` } });
  return [res.status, ((await res.json()) as { type: string }).type];
}

describe("scope before validation", () => {
  it("answers 403, not 400, to a token whose prefix does not cover the name, on every route", async () => {
    const teamA = await token(["admin"], "team-a.");
    for (const init of [...invalidRequests("team-b.x", "team-b.m"), ...invalidRequests("team-b.%20not%20a%20name", "team-b.%2F")]) {
      expect(await status(init, teamA), `${init.method ?? "GET"} ${init.path}`).toEqual([403, "/problems/forbidden"]);
    }
  });

  it("answers 403, not 400, to a token without the route's scope", async () => {
    const reader = await token(["read"]);
    for (const init of invalidRequests("x", "m").filter((r) => r.method !== undefined && r.method !== "GET")) {
      expect(await status(init, reader), `${init.method} ${init.path}`).toEqual([403, "/problems/forbidden"]);
    }
  });

  it("still answers 400 to a token that may make the request", async () => {
    const teamA = await token(["admin"], "team-a.");
    const [code, type] = await status({ path: "/v1/shards/team-a.x/weights?offset=%201" }, teamA);
    expect([code, type]).toEqual([400, "/problems/invalid-request"]);
  });
});

describe("integers are digits only", () => {
  it.each(["%201", "1%20", "+1", "1e0", "0x1", "1.0", "", "-0", "99999999999999999999"])("refuses offset=%s", async (value) => {
    const name = await createShard({ length: 4, rule: "sgd" });
    const res = await call(`/v1/shards/${name}/weights?offset=${value}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/^invalid query: offset: /);
  });

  it.each([
    ["x-base-version", "1e0"],
    ["x-base-version", "+0"],
    ["x-base-version", "0.0"],
    ["x-sample-count", "2.5"],
    ["x-sample-count", "0x2"],
  ])("refuses %s: %s on a push", async (header, value) => {
    const name = await createShard({ length: 2, rule: "sgd" });
    const res = await push(name, [1, 1], { [header]: value });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toContain(`${header}: expected a whole number written with the digits 0-9 only`);
  });

  it("refuses ids and counts that are not digits in paths and queries", async () => {
    const name = await createShard({ length: 2, rule: "sgd" });
    expect((await call(`/v1/shards/${name}/checkpoints`, { method: "POST", json: {} })).status).toBe(201);
    expect((await call(`/v1/shards/${name}/checkpoints/1e0`)).status).toBe(400);
    expect((await call(`/v1/shards/${name}/ensemble?last=%201`)).status).toBe(400);
    expect((await call(`/v1/shards/${name}/checkpoints/1`)).status).toBe(200);
    expect((await call(`/v1/shards/${name}/ensemble?last=1`)).status).toBe(200);
  });

  it("accepts plain digits", async () => {
    const name = await createShard({ length: 4, rule: "sgd" });
    const res = await push(name, [1, 1], { "x-base-version": "0", "x-sample-count": "12" }, "?offset=2");
    expect(res.status).toBe(200);
    expect((await call(`/v1/shards/${name}/weights?offset=2&length=2`, { headers: { accept: "application/json" } })).status).toBe(200);
  });
});
