import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { encodeSafetensors, parseSafetensors, readTensor } from "../../src/formats/safetensors";
import { tensorSeed } from "../../src/models/seeds";
import { fillInitial } from "../../src/optim";
import { storedState } from "./support/snapshot";
import { call, createShard, floatsOf, push, token, uniqueName } from "./support/api";

const adam = { rule: "adam", hyper: { lr: 0.01 }, rate_limit: null, averages: { ema: { kind: "ema", decay: 0.5 } } };
const sgd = { rule: "sgd", hyper: { lr: 0.1 }, rate_limit: null, averages: { ema: { kind: "ema", decay: 0.5 } } };
const tensors = [
  { name: "layer.weight", shape: [10, 30] },
  { name: "layer.bias", shape: [10] },
  { name: "embed", shape: [5, 100] },
];
const manifest = { tensors, shard_size: 256, config: adam, overrides: [{ match: "*.bias", config: sgd }] };
const sizes = tensors.map((t) => t.shape.reduce((a, b) => a * b, 1));

const gradientOf = (k: number) =>
  Object.fromEntries(tensors.map((t, j) => [t.name, { shape: t.shape, data: Float32Array.from({ length: sizes[j]! }, (_, i) => Math.sin(k + 7 * j + i / 3)) }]));

async function createModel(body: unknown = manifest, name = uniqueName("m")): Promise<string> {
  const res = await call(`/v1/models/${name}`, { method: "PUT", json: body });
  expect(res.status, await res.clone().text()).toBe(201);
  return name;
}

function pushModel(name: string, file: Uint8Array, headers: Record<string, string> = {}) {
  return call(`/v1/models/${name}/gradients`, { method: "POST", body: file, headers: { "content-type": "application/octet-stream", ...headers } });
}

async function tensorsOf(res: Response): Promise<Record<string, number[]>> {
  const file = parseSafetensors(new Uint8Array(await res.arrayBuffer()));
  return Object.fromEntries([...file.tensors.keys()].map((n) => [n, Array.from(readTensor(file, n))]));
}

const modelWeights = async (name: string) => tensorsOf(await call(`/v1/models/${name}/weights`));

describe("models: creation and layout", () => {
  it("lays tensors out on shards of at most shard_size, a new shard per configuration, and creates them", async () => {
    const name = uniqueName("m");
    const res = await call(`/v1/models/${name}`, { method: "PUT", json: manifest });
    expect(res.status).toBe(201);
    const info = await res.json<any>();
    expect(info.parameters).toBe(810);
    expect(info.shards.map((s: any) => [s.name, s.length, s.rule, s.version])).toEqual([
      [`${name}:0`, 256, "adam", 0],
      [`${name}:1`, 44, "adam", 0],
      [`${name}:2`, 10, "sgd", 0],
      [`${name}:3`, 256, "adam", 0],
      [`${name}:4`, 244, "adam", 0],
    ]);
    expect(info.tensors[0].pieces).toEqual([
      { shard: `${name}:0`, offset: 0, length: 256, shard_offset: 0 },
      { shard: `${name}:1`, offset: 256, length: 44, shard_offset: 0 },
    ]);
    const again = await call(`/v1/models/${name}`, { method: "PUT", json: manifest });
    expect(again.status).toBe(200);
    const other = await call(`/v1/models/${name}`, { method: "PUT", json: { ...manifest, shard_size: 512 } });
    expect(other.status).toBe(409);
  });

  it("lists models and their shards from the catalog, within the token's prefix", async () => {
    const name = await createModel(manifest, uniqueName("listed"));
    const list = await (await call(`/v1/models?prefix=${name}`)).json<any>();
    expect(list.models).toEqual([{ name, parameters: 810, created_at: expect.any(String) }]);
    const shards = await (await call(`/v1/shards?prefix=${name}:`)).json<any>();
    expect(shards.shards.map((s: any) => [s.name, s.model])).toEqual([0, 1, 2, 3, 4].map((i) => [`${name}:${i}`, name]));
    const narrow = await call(`/v1/models`, { headers: { authorization: `Bearer ${await token(["read"], "nobody.")}` } });
    expect((await narrow.json<any>()).models).toEqual([]);
  });

  const bad: [string, unknown, RegExp][] = [
    ["no tensors", { ...manifest, tensors: [] }, /tensors/],
    ["a tensor named twice", { ...manifest, tensors: [tensors[0], tensors[0]] }, /named twice/],
    ["a zero dimension", { ...manifest, tensors: [{ name: "x", shape: [0, 3] }] }, /shape/],
    ["a length in the config", { ...manifest, config: { ...adam, length: 5 } }, /length/],
    ["an unknown rule", { ...manifest, config: { rule: "adamax2" } }, /unknown rule/],
    ["a float64 tensor", { ...manifest, tensors: [{ name: "x", shape: [3], dtype: "F64" }] }, /F32|dtype/],
  ];
  it.each(bad)("refuses a manifest with %s, creating nothing", async (_label, body, message) => {
    const name = uniqueName("bad");
    const res = await call(`/v1/models/${name}`, { method: "PUT", json: body });
    expect(res.status).toBe(400);
    expect((await res.json<{ detail: string }>()).detail).toMatch(message);
    expect((await call(`/v1/models/${name}`)).status).toBe(404);
    expect((await call(`/v1/shards/${name}:0`)).status).toBe(404);
  });
});

describe("models: gradients in, the updated model out (safetensors)", () => {
  it("steps every shard once and equals each tensor trained alone with its configuration", async () => {
    const name = await createModel();
    const alone = await Promise.all(tensors.map((t, j) => createShard({ ...(t.name.endsWith(".bias") ? sgd : adam), length: sizes[j]! })));
    for (const k of [1, 2]) {
      const g = gradientOf(k);
      const res = await pushModel(name, encodeSafetensors(g), { "idempotency-key": `step-${k}` });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-model-version")).toBe(String(k));
      const got = await tensorsOf(res);
      for (const [j, t] of tensors.entries()) {
        const single = Array.from(await floatsOf(await push(alone[j]!, g[t.name]!.data)));
        expect(got[t.name], t.name).toEqual(single);
      }
    }
    const ema = await tensorsOf(await call(`/v1/models/${name}/averages/ema`));
    for (const [j, t] of tensors.entries()) {
      expect(ema[t.name]).toEqual(Array.from(await floatsOf(await call(`/v1/shards/${alone[j]}/averages/ema`))));
    }
  });

  it("answers a retry with the same Idempotency-Key without applying it again", async () => {
    const name = await createModel();
    const file = encodeSafetensors(gradientOf(3));
    const first = await tensorsOf(await pushModel(name, file, { "idempotency-key": "once" }));
    const retry = await pushModel(name, file, { "idempotency-key": "once" });
    expect(retry.status).toBe(200);
    expect(await tensorsOf(retry)).toEqual(first);
    const info = await (await call(`/v1/models/${name}`)).json<any>();
    expect(info.shards.map((s: any) => s.version)).toEqual([1, 1, 1, 1, 1]);
  });

  it("reports a partial failure per tensor, and the same key completes it without applying anything twice", async () => {
    const name = await createModel();
    // The shard is lost (deleted by its model's own call, as the shard API may not).
    await env.SHARDS.get(env.SHARDS.idFromName(`${name}:2`)).destroy(name);
    const file = encodeSafetensors(gradientOf(4));
    const partial = await pushModel(name, file, { "idempotency-key": "k" });
    expect(partial.status).toBe(502);
    const problem = await partial.json<any>();
    expect(problem.type).toBe("/problems/partial-failure");
    expect(problem.tensors).toEqual([
      { name: "layer.weight", ok: true },
      { name: "layer.bias", ok: false },
      { name: "embed", ok: true },
    ]);
    // Re-PUT of the same manifest recreates the missing shard; the retry applies only there.
    expect((await call(`/v1/models/${name}`, { method: "PUT", json: manifest })).status).toBe(200);
    const done = await pushModel(name, file, { "idempotency-key": "k" });
    expect(done.status).toBe(200);
    const info = await (await call(`/v1/models/${name}`)).json<any>();
    expect(info.shards.map((s: any) => s.version)).toEqual([1, 1, 1, 1, 1]);
  });

  it("serves the weights with an ETag and 304", async () => {
    const name = await createModel();
    const res = await call(`/v1/models/${name}/weights`);
    expect(res.status).toBe(200);
    const etag = res.headers.get("etag")!;
    expect((await tensorsOf(res))["embed"]).toEqual(new Array(500).fill(0));
    const notModified = await call(`/v1/models/${name}/weights`, { headers: { "if-none-match": etag } });
    expect(notModified.status).toBe(304);
    // The state a 304 confirms, as a shard's 304 says it: the ETag and the version.
    expect(notModified.headers.get("etag")).toBe(etag);
    expect(notModified.headers.get("x-model-version")).toBe("0");
    await pushModel(name, encodeSafetensors(gradientOf(5)));
    expect((await call(`/v1/models/${name}/weights`, { headers: { "if-none-match": etag } })).status).toBe(200);
  });

  it("says which state a push summary leaves the model at: its ETag and version, as the weights answer them", async () => {
    const name = await createModel();
    const summary = await pushModel(name, encodeSafetensors(gradientOf(7)), { prefer: "return=minimal" });
    expect(summary.status).toBe(200);
    expect(summary.headers.get("content-type")).toMatch(/^application\/json/);
    expect((await summary.json<{ shards: { shard: string; version: number }[] }>()).shards.map((s) => s.version)).toEqual([1, 1, 1, 1, 1]);
    const weights = await call(`/v1/models/${name}/weights`);
    expect(summary.headers.get("etag")).toBe(weights.headers.get("etag"));
    expect(summary.headers.get("x-model-version")).toBe("1");
    expect(weights.headers.get("x-model-version")).toBe("1");
  });
});

describe("models: bad gradients change nothing", () => {
  const g = gradientOf(6);
  const { ["layer.bias"]: _bias, ...withoutBias } = g;
  const nan = { ...g, embed: { shape: [5, 100], data: Float32Array.from({ length: 500 }, (_, i) => (i === 123 ? NaN : 1)) } };
  const file = encodeSafetensors(g);
  const cases: [string, () => Uint8Array, Record<string, string>, number, RegExp][] = [
    ["a missing tensor", () => encodeSafetensors(withoutBias), {}, 422, /missing 'layer.bias'/],
    ["an unknown tensor", () => encodeSafetensors({ ...g, extra: { shape: [1], data: new Float32Array(1) } }), {}, 422, /unknown 'extra'/],
    ["a wrong shape", () => encodeSafetensors({ ...g, embed: { shape: [500], data: g.embed!.data } }), {}, 422, /shape \[500\]/],
    ["float64 values", () => encodeSafetensors({ ...g, embed: { shape: [5, 100], data: new Float64Array(500) } }), {}, 422, /F64/],
    ["NaN values", () => encodeSafetensors(nan), {}, 422, /tensor 'embed' has NaN/],
    ["a truncated body", () => file.subarray(0, file.byteLength - 10), {}, 422, /ends after/],
    ["a header that runs past the body", () => file.subarray(0, 12), {}, 422, /inside the header/],
    ["JSON", () => new TextEncoder().encode("{}"), { "content-type": "application/json" }, 415, /application\/octet-stream/],
  ];
  it.each(cases)("refuses %s", async (_label, body, headers, status, message) => {
    const name = await createModel();
    await pushModel(name, file);
    const before = await modelWeights(name);
    const res = await pushModel(name, body(), headers);
    expect(res.status).toBe(status);
    expect((await res.json<{ detail: string }>()).detail).toMatch(message);
    expect(await modelWeights(name)).toEqual(before);
    const info = await (await call(`/v1/models/${name}`)).json<any>();
    expect(info.shards.map((s: any) => s.version)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe("models: scopes and deletion", () => {
  it("needs train on the model's name to push, admin to create and delete", async () => {
    const name = await createModel();
    const reader = { authorization: `Bearer ${await token(["read"])}` };
    expect((await pushModel(name, encodeSafetensors(gradientOf(1)), reader)).status).toBe(403);
    expect((await call(`/v1/models/${name}`, { method: "DELETE", headers: reader })).status).toBe(403);
  });

  it("deletes the model, its shards and its catalog entries", async () => {
    const name = await createModel();
    expect((await call(`/v1/models/${name}`, { method: "DELETE" })).status).toBe(204);
    expect((await call(`/v1/models/${name}`)).status).toBe(404);
    expect((await call(`/v1/shards/${name}:0`)).status).toBe(404);
    expect((await (await call(`/v1/shards?prefix=${name}:`)).json<any>()).shards).toEqual([]);
  });
});

describe("models: their shards belong to them", () => {
  it("refuses a change of a model's shard through the shard API, naming the model, and changes nothing", async () => {
    const name = await createModel();
    const shard = `${name}:2`;
    const before = await storedState(shard);
    const changes: [string, () => Promise<Response>][] = [
      ["DELETE", () => call(`/v1/shards/${shard}`, { method: "DELETE" })],
      ["a push", () => push(shard, Array(10).fill(1))],
      ["PATCH", () => call(`/v1/shards/${shard}`, { method: "PATCH", json: { hyper: { lr: 0.5 } } })],
      ["PUT ?replace=true", () => call(`/v1/shards/${shard}?replace=true`, { method: "PUT", json: { ...sgd, length: 10 } })],
      ["PUT weights", () => call(`/v1/shards/${shard}/weights`, { method: "PUT", body: new Float32Array(10).buffer, headers: { "content-type": "application/octet-stream" } })],
    ];
    for (const [what, change] of changes) {
      const res = await change();
      expect(res.status, what).toBe(409);
      const problem = await res.json<any>();
      expect(problem, what).toMatchObject({ type: "/problems/owned-by-model", model: name });
      expect(problem.detail, what).toContain(`/v1/models/${name}`);
    }
    expect(await storedState(shard)).toBe(before);
    // Reads are anyone's; the model itself still changes it.
    expect((await call(`/v1/shards/${shard}`)).status).toBe(200);
    expect((await pushModel(name, encodeSafetensors(gradientOf(1)))).status).toBe(200);
    expect((await call(`/v1/models/${name}`, { method: "DELETE" })).status).toBe(204);
    expect((await call(`/v1/shards/${shard}`)).status).toBe(404);
  });

  it("says how to complete a push that a shard behind X-Base-Version refused", async () => {
    const name = await createModel();
    // An earlier push reached every shard but one.
    await env.SHARDS.get(env.SHARDS.idFromName(`${name}:2`)).destroy(name);
    expect((await pushModel(name, encodeSafetensors(gradientOf(1)), { "idempotency-key": "first" })).status).toBe(502);
    expect((await call(`/v1/models/${name}`, { method: "PUT", json: manifest })).status).toBe(200);
    // Pushed from version 1, which shard :2 has not reached: the advice names it and the way out.
    const file = encodeSafetensors(gradientOf(2));
    const partial = await pushModel(name, file, { "idempotency-key": "second", "x-base-version": "1" });
    expect(partial.status).toBe(502);
    const detail = (await partial.json<any>()).detail as string;
    expect(detail).toContain(`${name}:2 (at version 0): an earlier push did not reach it`);
    expect(detail).toContain("Idempotency-Key 'second'");
    // Following it completes both pushes, each applied once.
    expect((await pushModel(name, encodeSafetensors(gradientOf(1)), { "idempotency-key": "first" })).status).toBe(200);
    expect((await pushModel(name, file, { "idempotency-key": "second", "x-base-version": "1" })).status).toBe(200);
    const info = await (await call(`/v1/models/${name}`)).json<any>();
    expect(info.shards.map((s: any) => s.version)).toEqual([2, 2, 2, 2, 2]);
  });
});

describe("models: initial weights", () => {
  const seeded = { ...manifest, config: { ...adam, init: { kind: "normal", mean: 0, std: 0.5, seed: 11 } }, overrides: [] };

  it("draws each tensor from its own stream, derived from the model's seed and its name", async () => {
    const a = await modelWeights(await createModel(seeded));
    const b = await modelWeights(await createModel(seeded));
    expect(b).toEqual(a);
    for (const [j, t] of tensors.entries()) {
      // A tensor split across shards is drawn as if whole.
      const whole = new Float32Array(sizes[j]!);
      fillInitial(whole, { kind: "normal", mean: 0, std: 0.5, seed: tensorSeed(11, t.name) });
      expect(a[t.name], t.name).toEqual(Array.from(whole));
    }
    // Two shards never start from the same values.
    expect(a["layer.weight"]!.slice(256, 300)).not.toEqual(a["layer.weight"]!.slice(0, 44));
    const other = await modelWeights(await createModel({ ...seeded, config: { ...seeded.config, init: { ...seeded.config.init, seed: 12 } } }));
    expect(other["embed"]).not.toEqual(a["embed"]);
  });
});

describe("models: normalized gradient descent normalizes per tensor", () => {
  it("gives each shard its tensors' segments, so each tensor's step has length lr (a split tensor's pieces each)", async () => {
    const parts = [
      { name: "a", shape: [3, 4] },
      { name: "b", shape: [5] },
      { name: "c", shape: [40] },
    ];
    const lr = 0.1;
    const name = await createModel({ tensors: parts, shard_size: 32, config: { rule: "normalized", hyper: { lr, eps: 0 }, rate_limit: null } });
    const info = await (await call(`/v1/models/${name}`)).json<{ shards: { name: string }[] }>();
    const segments = await Promise.all(info.shards.map(async (s) => (await (await call(`/v1/shards/${s.name}`)).json<{ config: { hyper: { segments: number[] } } }>()).config.hyper.segments));
    expect(segments).toEqual([[12, 5, 15], [25]]);
    const before = await modelWeights(name);
    const gradient = Object.fromEntries(parts.map((t, j) => [t.name, { shape: t.shape, data: Float32Array.from({ length: t.shape.reduce((a, b) => a * b, 1) }, (_, i) => (j + 1) * Math.cos(i + j)) }]));
    expect((await pushModel(name, encodeSafetensors(gradient))).status).toBe(200);
    const after = await modelWeights(name);
    const stepLength = (t: string) => Math.hypot(...after[t]!.map((w, i) => w - before[t]![i]!));
    expect(stepLength("a")).toBeCloseTo(lr, 6);
    expect(stepLength("b")).toBeCloseTo(lr, 6);
    // c lies over two shards: two pieces of length lr each.
    expect(stepLength("c")).toBeCloseTo(lr * Math.SQRT2, 6);
  });
});
