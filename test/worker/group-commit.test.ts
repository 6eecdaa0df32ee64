import { evictAllDurableObjects } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, createShard, floatsOf, push } from "./support/api";
import { openLive } from "./support/live";
import { storedVector } from "./support/snapshot";

// Pushes that arrive together are applied one by one and written as one group
// (src/shard/pushes/group-commit.ts). Each must still be a step of its own, answered with its own weights.
const config = { length: 40, rule: "adam", hyper: { lr: 0.01 }, page_floats: 16, averages: { ema: { kind: "ema", decay: 0.9 } } };
const gradient = (k: number) => Array.from({ length: 40 }, (_, i) => Math.cos(k * 3 + i) * (1 + (i % 3)));
const slots = ["weights", "slot:exp_avg", "slot:exp_avg_sq", "avg:ema"];

const stored = (name: string) => Promise.all(slots.map(async (s) => Array.from(await storedVector(name, s))));
const version = (res: Response) => Number(res.headers.get("x-shard-version"));

describe("pushes written in groups", () => {
  type Applied = { k: number; version: number; weights: number[] };
  /**
   * n pushes sent together, each answered with its version and the weights of its step: over HTTP,
   * or on one live session. `shareWrites`: whether they reach the object together here (a socket's
   * frames come one event apart in this runtime, so each may be written alone).
   */
  const together: Record<string, { shareWrites: boolean; send: (name: string, n: number) => Promise<Applied[]> }> = {
    http: {
      shareWrites: true,
      send: async (name, n) => {
        const answers = await Promise.all(Array.from({ length: n }, (_, k) => push(name, gradient(k), { "idempotency-key": `g-${k}` })));
        expect(answers.map((r) => r.status)).toEqual(Array(n).fill(200));
        return Promise.all(answers.map(async (res, k) => ({ k, version: version(res), weights: Array.from(await floatsOf(res)) })));
      },
    },
    "a live session": {
      shareWrites: false,
      send: async (name, n) => {
        const { client } = await openLive(name);
        for (let k = 0; k < n; k++) client.send("push", { key: `g-${k}`, answer: "weights" }, gradient(k));
        const answers = [];
        for (let k = 0; k < n; k++) answers.push(await client.expect<{ key: string; version: number }>("answer"));
        client.close();
        return answers.map((a) => ({ k: Number(a.header.key.slice(2)), version: a.header.version, weights: Array.from(a.payload) }));
      },
    },
  };

  for (const [transport, { shareWrites, send }] of Object.entries(together)) {
    it(`are one step each (${transport}): distinct versions, each answered with the weights of its own step, storage equal to the replay`, async () => {
      const name = await createShard(config);
      const n = 16;
      const applied = await send(name, n);
      expect(applied.map((a) => a.version).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));

      // The same gradients one at a time, in the order the versions say they were applied.
      const replay = await createShard(config);
      const inOrder = [...applied].sort((a, b) => a.version - b.version);
      for (const { k, version: v, weights } of inOrder) {
        const res = await push(replay, gradient(k));
        expect(version(res)).toBe(v);
        expect(weights).toEqual(Array.from(await floatsOf(res)));
      }
      expect(await stored(name)).toEqual(await stored(replay));

      // The status counts the transactions: fewer than the pushes that arrived together (at most one each), one per push for the replay's.
      const status = async (shard: string) => (await (await call(`/v1/shards/${shard}/status`)).json()) as { pushes: number; writes: number };
      const grouped = await status(name);
      expect(grouped.pushes).toBe(n);
      expect(grouped.writes).toBeGreaterThanOrEqual(1);
      expect(grouped.writes).toBeLessThanOrEqual(shareWrites ? n - 1 : n);
      expect(await status(replay)).toMatchObject({ pushes: n, writes: n });
    });
  }

  it("answer retries of a key still in the open group with the first outcome, applying nothing", async () => {
    const name = await createShard(config);
    const answers = await Promise.all(Array.from({ length: 8 }, () => push(name, gradient(1), { "idempotency-key": "same" })));
    expect(answers.map((r) => [r.status, version(r)])).toEqual(Array(8).fill([200, 1]));
    expect(answers.filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(7);
    expect(await (await call(`/v1/shards/${name}`)).json()).toMatchObject({ version: 1 });
  });

  it("replay the recorded outcome exactly, once it is written", async () => {
    const name = await createShard(config);
    const minimal = { "idempotency-key": "exact", prefer: "return=minimal" };
    const first = (await (await push(name, gradient(3), minimal)).json()) as Record<string, unknown>;
    const replay = (await (await push(name, gradient(3), minimal)).json()) as Record<string, unknown>;
    expect(replay).toEqual({ ...first, replayed: true });
  });

  it("refuse a key of the open group reused for another gradient, and keep the one applied", async () => {
    const name = await createShard(config);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, k) => push(name, gradient(k), { "idempotency-key": "k" })));
    expect(answers.map((r) => r.status).sort()).toEqual([200, ...Array(7).fill(422)]);
    const kept = answers.findIndex((r) => r.status === 200);
    for (const refused of answers.filter((r) => r.status === 422)) expect(await refused.json()).toMatchObject({ type: expect.stringContaining("idempotency-key-reused") });
    const replay = await createShard(config);
    await push(replay, gradient(kept));
    expect(await stored(name)).toEqual(await stored(replay));
  });

  it("are seen by reads only once durable: a read among them answers a version with the weights of that version", async () => {
    const name = await createShard(config);
    const pushes = Array.from({ length: 6 }, (_, k) => push(name, gradient(k), { "idempotency-key": `r-${k}` }));
    const read = call(`/v1/shards/${name}/weights`);
    const answers = await Promise.all(pushes);
    const res = await read;
    const seen = version(res);
    const weights = Array.from(await floatsOf(res));
    if (seen === 0) {
      const fresh = await createShard(config);
      expect(weights).toEqual(Array.from(await floatsOf(await call(`/v1/shards/${fresh}/weights`))));
    } else {
      const at = answers.find((a) => version(a) === seen);
      expect(at).toBeDefined();
      expect(weights).toEqual(Array.from(await floatsOf(at!)));
    }
  });

  it("write more page rows than one statement takes (33) in several, every row landing", async () => {
    // 125 pages of 8 floats for each of weights, exp_avg, exp_avg_sq and the EMA: 500 rows a push.
    const wide = { ...config, length: 1000, page_floats: 8 };
    const name = await createShard(wide);
    const g = Array.from({ length: 1000 }, (_, i) => Math.sin(i));
    await push(name, g);
    const answered = Array.from(await floatsOf(await push(name, g.map((x) => -x))));
    await evictAllDurableObjects();
    expect(Array.from(await storedVector(name, "weights"))).toEqual(answered);
    expect(Array.from(await floatsOf(await call(`/v1/shards/${name}/weights`)))).toEqual(answered);
  });
});
