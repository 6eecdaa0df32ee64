/**
 * What refusals tell a new user: a body that fails its schema is called that (it is valid JSON), a
 * missing shard says how to create it, and every 415 names the media types to send.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { call, createShard, uniqueName } from "./support/api";

async function problemOf(res: Response): Promise<{ type: string; detail: string; accepted?: string[] }> {
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  return res.json();
}

// The first request starts the Worker and a shard's object class: seconds on a loaded machine.
beforeAll(() => createShard({ length: 1, rule: "sgd" }), 60_000);

describe("refusals a new user meets", () => {
  it("a JSON body that fails the schema: the body does not match it, naming the field", async () => {
    const res = await call(`/v1/shards/${uniqueName()}`, { method: "PUT", json: { length: "four", rule: "sgd" } });
    expect(res.status).toBe(400);
    const problem = await problemOf(res);
    expect(problem.type).toBe("/problems/invalid-request");
    expect(problem.detail).toMatch(/^the body does not match the schema: length: /);
    expect(problem.detail).not.toMatch(/invalid json/i);
  });

  it("a body that is not JSON: malformed-json, as on the float routes", async () => {
    const name = uniqueName();
    const res = await call(`/v1/shards/${name}`, { method: "PUT", body: '{"length": 4,', headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(await problemOf(res)).toMatchObject({ type: "/problems/malformed-json", detail: "the body is not valid JSON: send one JSON object (Content-Type: application/json)" });
    const shard = await createShard({ length: 4, rule: "sgd" });
    const floats = await call(`/v1/shards/${shard}/gradients`, { method: "POST", body: "[1,", headers: { "content-type": "application/json" } });
    expect((await problemOf(floats)).type).toBe("/problems/malformed-json");
  });

  it("a body that is not an object is named the body", async () => {
    const res = await call(`/v1/shards/${uniqueName()}`, { method: "PUT", json: [1, 2] });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).detail).toMatch(/^the body does not match the schema: body: /);
  });

  it.each([
    ["GET the shard", ""],
    ["GET its weights", "/weights"],
    ["GET its status", "/status"],
  ])("a missing shard (%s): 404 saying PUT /v1/shards/{name} creates it", async (_what, suffix) => {
    const res = await call(`/v1/shards/${uniqueName()}${suffix}`);
    expect(res.status).toBe(404);
    expect(await problemOf(res)).toMatchObject({ type: "/problems/not-found", detail: "no such shard; PUT /v1/shards/{name} creates it" });
  });

  it("a push to a missing shard: the same hint", async () => {
    const res = await call(`/v1/shards/${uniqueName()}/gradients`, { method: "POST", floats: [1] });
    expect(res.status).toBe(404);
    expect((await problemOf(res)).detail).toMatch(/PUT \/v1\/shards\/\{name\} creates it/);
  });

  it.each([
    ["PUT a shard", "PUT", ""],
    ["PATCH a shard", "PATCH", ""],
    ["POST a metric", "POST", "/metrics"],
  ])("%s as text/plain: 415 naming application/json", async (_what, method, suffix) => {
    const name = await createShard({ length: 2, rule: "sgd", hyper: { lr: 0.1 } });
    const res = await call(`/v1/shards/${name}${suffix}`, { method, body: "{}", headers: { "content-type": "text/plain" } });
    expect(res.status).toBe(415);
    const problem = await problemOf(res);
    expect(problem).toMatchObject({ type: "/problems/unsupported-media-type", accepted: ["application/json"] });
    expect(problem.detail).toBe("Content-Type 'text/plain'; send application/json");
  });

  it("a gradient as text/plain: 415 naming raw float32 and JSON", async () => {
    const name = await createShard({ length: 2, rule: "sgd", hyper: { lr: 0.1 } });
    const res = await call(`/v1/shards/${name}/gradients`, { method: "POST", body: "1,2", headers: { "content-type": "text/plain" } });
    expect(res.status).toBe(415);
    expect(await problemOf(res)).toMatchObject({
      detail: "Content-Type 'text/plain'; send application/octet-stream or application/json",
      accepted: ["application/octet-stream", "application/json"],
    });
  });
});
