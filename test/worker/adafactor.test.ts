import { abortAllDurableObjects, evictAllDurableObjects } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, createShard, push } from "./support/api";
import { replayFixture } from "./support/replay";

/**
 * Adafactor on a matrix keeps row and column accumulators shorter than the weights (6 and 5 floats
 * for 30): stored in pages of their own length, restored from them, checkpointed with the rest.
 * Each test compares the stored bits with a shard that got the same pushes undisturbed.
 */
const config = { length: 30, rule: "adafactor", hyper: { shape: [6, 5], lr: 0.05, weight_decay: 0.01 }, page_floats: 4, rate_limit: null };
const slots = ["weights", "slot:row_var", "slot:col_var"];
const gradient = (k: number) => Array.from({ length: 30 }, (_, i) => Math.sin(k * 7 + i) * (1 + (i % 7)));

const { vectors, replay } = replayFixture(config, slots, gradient);

describe("adafactor with a matrix shape", () => {
  it("stores its accumulators at their own lengths", async () => {
    const name = await replay([0, 1]);
    expect((await vectors(name)).map((v) => v.length)).toEqual([30, 6, 5]);
  });

  it("rebuilds the resident state from storage after an eviction", async () => {
    const name = await createShard(config);
    for (let k = 0; k < 3; k++) await push(name, gradient(k));
    await evictAllDurableObjects();
    for (let k = 3; k < 6; k++) expect((await push(name, gradient(k))).status).toBe(200);
    expect(await vectors(name)).toEqual(await vectors(await replay([0, 1, 2, 3, 4, 5])));
  });

  it("after a crash with pushes in flight, equals the replay of the acknowledged pushes", async () => {
    const name = await createShard(config);
    const inflight = [0, 1, 2, 3].map(async (k) => ({ k, res: await push(name, gradient(k), { "idempotency-key": `push-${k}` }).catch(() => null) }));
    await abortAllDurableObjects();
    const acknowledged: { k: number; version: number }[] = [];
    for (const { k, res } of await Promise.all(inflight)) {
      let answer = res;
      while (!answer || answer.status !== 200) answer = await push(name, gradient(k), { "idempotency-key": `push-${k}` }).catch(() => null);
      acknowledged.push({ k, version: Number(answer.headers.get("x-shard-version")) });
    }
    const order = acknowledged.sort((a, b) => a.version - b.version).map((a) => a.k);
    expect(await vectors(name)).toEqual(await vectors(await replay(order)));
  });

  it("restores a checkpoint's accumulators and continues with the same bits", async () => {
    const name = await replay([0, 1]);
    const snapshot = await call(`/v1/shards/${name}/checkpoints`, { method: "POST" });
    expect(snapshot.status).toBe(201);
    const { id } = (await snapshot.json()) as { id: number };
    for (const k of [2, 3]) await push(name, gradient(k));
    expect((await call(`/v1/shards/${name}/checkpoints/${id}/restore`, { method: "POST" })).status).toBe(200);
    for (const k of [4, 5]) await push(name, gradient(k));
    expect(await vectors(name)).toEqual(await vectors(await replay([0, 1, 4, 5])));
  });

  it("refuses a PATCH that reshapes its accumulators, and takes one that does not", async () => {
    const name = await replay([0]);
    const reshape = await call(`/v1/shards/${name}`, { method: "PATCH", json: { hyper: { shape: [5, 6] } } });
    expect(reshape.status).toBe(400);
    expect(await reshape.json()).toMatchObject({
      type: "/problems/invalid-config",
      detail: "this change adds, removes or reshapes optimizer state (e.g. momentum, amsgrad, centered, adafactor's shape); replace the shard instead",
    });
    expect((await call(`/v1/shards/${name}`, { method: "PATCH", json: { hyper: { d: 2 } } })).status).toBe(200);
    expect((await push(name, gradient(1))).status).toBe(200);
  });

  it("refuses a shape that does not match the length, and a range push", async () => {
    const wrong = await call(`/v1/shards/adafactor-misfit`, { method: "PUT", json: { ...config, length: 31 } });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ type: "/problems/invalid-config", detail: "adafactor: 'shape' [6, 5] has 30 elements; the shard has 31" });
    const name = await createShard(config);
    const partial = await push(name, [1, 2, 3], {}, "?offset=3");
    expect(partial.status).toBe(400);
    expect(await partial.json()).toMatchObject({
      type: "/problems/invalid-range",
      detail: "adafactor: a shard with a matrix 'shape' updates all its 30 floats together: push the whole gradient (no offset)",
    });
  });
});
