import { describe, expect, it } from "vitest";
import { MAX_JSON_FLOATS } from "../../src/limits";
import { createReferenceEngine, getRule } from "../../src/optim";
import { call, createShard, floatsOf, push } from "./support/api";
import { storedState, storedVector } from "./support/snapshot";

describe("GET /v1/shards/{shard}/weights", () => {
  it("answers raw float32 by default, JSON when asked, with the revision as ETag", async () => {
    const name = await createShard({ length: 4, rule: "sgd", hyper: { lr: 1 } });
    await push(name, [1, 2, 3, 4]);
    const raw = await call(`/v1/shards/${name}/weights`);
    expect(raw.headers.get("content-type")).toBe("application/octet-stream");
    expect(raw.headers.get("etag")).toBe('"1"');
    expect(Array.from(await floatsOf(raw))).toEqual([-1, -2, -3, -4]);
    const json = await call(`/v1/shards/${name}/weights`, { headers: { accept: "application/json" } });
    expect(await json.json()).toEqual({ version: 1, revision: 1, offset: 0, values: [-1, -2, -3, -4] });
    const preferred = await call(`/v1/shards/${name}/weights`, { headers: { accept: "application/json;q=0.5, application/octet-stream" } });
    expect(preferred.headers.get("content-type")).toBe("application/octet-stream");
  });

  it("reads a range", async () => {
    const name = await createShard({ length: 10, rule: "sgd", hyper: { lr: 1 }, page_floats: 3 });
    await push(name, Array.from({ length: 10 }, (_, i) => i));
    const res = await call(`/v1/shards/${name}/weights?offset=4&length=3`);
    expect(res.headers.get("x-offset")).toBe("4");
    expect(Array.from(await floatsOf(res))).toEqual([-4, -5, -6]);
    const bad = await call(`/v1/shards/${name}/weights?offset=8&length=3`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: "/problems/invalid-range", length: 10 });
  });

  it("answers 304 to If-None-Match of the current ETag", async () => {
    const name = await createShard({ length: 2, rule: "sgd" });
    const first = await call(`/v1/shards/${name}/weights`);
    const etag = first.headers.get("etag")!;
    const same = await call(`/v1/shards/${name}/weights`, { headers: { "if-none-match": etag } });
    expect(same.status).toBe(304);
    await push(name, [1, 1]);
    const changed = await call(`/v1/shards/${name}/weights`, { headers: { "if-none-match": etag } });
    expect(changed.status).toBe(200);
  });

  it("refuses JSON for large shards, and unacceptable types", async () => {
    const name = await createShard({ length: MAX_JSON_FLOATS + 1, rule: "sgd" });
    const res = await call(`/v1/shards/${name}/weights`, { headers: { accept: "application/json" } });
    expect(res.status).toBe(406);
    expect(await res.json()).toMatchObject({ type: "/problems/json-too-long" });
    const xml = await call(`/v1/shards/${name}/weights`, { headers: { accept: "application/xml" } });
    expect(xml.status).toBe(406);
  });
});

describe("PUT /v1/shards/{shard}/weights", () => {
  it("uploads a big shard in ranges before training, the averages following", async () => {
    const name = await createShard({ length: 10, rule: "adam", page_floats: 4, averages: { swa: { kind: "swa" } } });
    const values = Array.from({ length: 10 }, (_, i) => i / 10);
    expect((await call(`/v1/shards/${name}/weights?offset=0`, { method: "PUT", floats: values.slice(0, 6) })).status).toBe(204);
    const second = await call(`/v1/shards/${name}/weights?offset=6`, { method: "PUT", floats: values.slice(6) });
    expect(second.status).toBe(204);
    expect(second.headers.get("etag")).toBe('"2"');
    expect(second.headers.get("x-shard-version")).toBe("0");
    expect(Array.from(await storedVector(name, "weights"))).toEqual(values.map(Math.fround));
    expect(Array.from(await floatsOf(await call(`/v1/shards/${name}/averages/swa`)))).toEqual(values.map(Math.fround));
  });

  it("needs If-Match with the current ETag once training has started", async () => {
    const name = await createShard({ length: 2, rule: "sgd" });
    await push(name, [1, 1]);
    const before = await storedState(name);
    const blind = await call(`/v1/shards/${name}/weights`, { method: "PUT", floats: [5, 5] });
    expect(blind.status).toBe(412);
    expect(await blind.json()).toMatchObject({ type: "/problems/precondition-failed", revision: 1 });
    const stale = await call(`/v1/shards/${name}/weights`, { method: "PUT", floats: [5, 5], headers: { "if-match": '"0"' } });
    expect(stale.status).toBe(412);
    const garbage = await call(`/v1/shards/${name}/weights`, { method: "PUT", floats: [5, 5], headers: { "if-match": "yesterday" } });
    expect(garbage.status).toBe(400);
    expect(await storedState(name)).toBe(before);
    const ok = await call(`/v1/shards/${name}/weights`, { method: "PUT", floats: [5, 5], headers: { "if-match": '"1"' } });
    expect(ok.status).toBe(204);
    expect(ok.headers.get("etag")).toBe('"2"');
    expect(Array.from(await floatsOf(await call(`/v1/shards/${name}/weights`)))).toEqual([5, 5]);
  });

  it("refuses non-finite weights and wrong ranges, changing nothing", async () => {
    const name = await createShard({ length: 3, rule: "sgd" });
    const before = await storedState(name);
    expect((await call(`/v1/shards/${name}/weights`, { method: "PUT", floats: [1, NaN, 1] })).status).toBe(422);
    expect((await call(`/v1/shards/${name}/weights?offset=2`, { method: "PUT", floats: [1, 1] })).status).toBe(400);
    expect((await call(`/v1/shards/${name}/weights`, { method: "PUT", json: { values: [1, "2", 3] } })).status).toBe(400);
    expect(await storedState(name)).toBe(before);
  });
});

describe("GET /v1/shards/{shard}/averages/{name}", () => {
  it("serves EMA and SWA averages of the weights in the formats of weights", async () => {
    const name = await createShard({ length: 2, rule: "sgd", hyper: { lr: 1 }, averages: { ema: { kind: "ema", decay: 0.5 }, swa: { kind: "swa", start: 2 } } });
    for (let k = 0; k < 3; k++) await push(name, [1, -1]);
    // Weights at versions 1, 2, 3: -1, -2, -3 (and their negatives).
    const ema = await call(`/v1/shards/${name}/averages/ema`, { headers: { accept: "application/json" } });
    expect(await ema.json()).toEqual({ version: 3, revision: 3, offset: 0, values: [-2.25, 2.25] });
    const swa = await floatsOf(await call(`/v1/shards/${name}/averages/swa`));
    expect(Array.from(swa)).toEqual([-2.5, 2.5]);
    const missing = await call(`/v1/shards/${name}/averages/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { detail: string }).detail).toBe("no average named 'nope'; this shard has: ema, swa");
  });

  it("serves the average ASGD keeps in its state as 'ax', next to the configured ones", async () => {
    const hyper = { lr: 0.1, lambd: 0.01, t0: 1 };
    const name = await createShard({ length: 3, rule: "asgd", hyper, averages: { ema: { kind: "ema", decay: 0.5 } } });
    const engine = createReferenceEngine("asgd", getRule("asgd").resolve(hyper), 3);
    for (const g of [[1, -2, 0.5], [0.5, 1, -1], [-1, 0.25, 2], [2, 2, 2]]) {
      expect((await push(name, g)).status).toBe(200);
      engine.gradient.set(g);
      engine.step(hyper.lr);
    }
    // From update 3 on (step - t0 > 1), ax is a running mean of the weights, not a copy.
    expect(Array.from(engine.state.slots.ax!)).not.toEqual(Array.from(engine.params));
    expect(Array.from(await floatsOf(await call(`/v1/shards/${name}/averages/ax`)))).toEqual(Array.from(engine.state.slots.ax!));
    const missing = await call(`/v1/shards/${name}/averages/nope`);
    expect(((await missing.json()) as { detail: string }).detail).toBe("no average named 'nope'; this shard has: ema, ax");
  });

  it("refuses a configured average named like the one the rule keeps", async () => {
    const res = await call(`/v1/shards/asgd-clash`, { method: "PUT", json: { length: 3, rule: "asgd", averages: { ax: { kind: "swa" } } } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: "/problems/invalid-config",
      detail: "averages.ax: asgd keeps its own average 'ax' (served under that name); give yours another name",
    });
  });
});
