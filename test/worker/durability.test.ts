import { abortAllDurableObjects, evictAllDurableObjects } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, createShard, floatsOf, push } from "./support/api";
import { replayFixture } from "./support/replay";

const config = {
  length: 37,
  rule: "adam",
  hyper: { lr: 0.01, amsgrad: true },
  page_floats: 8,
  averages: { ema: { kind: "ema", decay: 0.9 }, swa: { kind: "swa", start: 3 } },
};

const gradient = (k: number) => Array.from({ length: 37 }, (_, i) => Math.sin(k * 7 + i) * (1 + (i % 5)));
const slots = ["weights", "slot:exp_avg", "slot:exp_avg_sq", "slot:max_exp_avg_sq", "avg:ema", "avg:swa"];

const { vectors, replay } = replayFixture(config, slots, gradient);

describe("nothing acknowledged is lost", () => {
  it("rebuilds the resident state from storage after an eviction", async () => {
    const name = await createShard(config);
    for (let k = 0; k < 3; k++) await push(name, gradient(k));
    await evictAllDurableObjects();
    for (let k = 3; k < 6; k++) await push(name, gradient(k));
    expect(await vectors(name)).toEqual(await vectors(await replay([0, 1, 2, 3, 4, 5])));
    expect(await (await call(`/v1/shards/${name}`)).json()).toMatchObject({ version: 6, averages: { ema: { count: 6 }, swa: { count: 4 } } });
  });

  it("after crashes in the middle of a sequence, equals the replay of the acknowledged pushes", async () => {
    const name = await createShard(config);
    const acknowledged: { k: number; version: number }[] = [];
    for (let round = 0; round < 3; round++) {
      // Several pushes in flight when the object is aborted: some are answered, some fail.
      const inflight = Array.from({ length: 4 }, (_, j) => round * 4 + j).map(async (k) => {
        const res = await push(name, gradient(k), { "idempotency-key": `push-${k}` }).catch(() => null);
        return { k, res };
      });
      await abortAllDurableObjects();
      for (const { k, res } of await Promise.all(inflight)) {
        let answer = res;
        // A client retries what was not acknowledged, with the same key: it applies at most once.
        while (!answer || answer.status !== 200) {
          answer = await push(name, gradient(k), { "idempotency-key": `push-${k}` }).catch(() => null);
        }
        acknowledged.push({ k, version: Number(answer.headers.get("x-shard-version")) });
      }
    }
    const versions = acknowledged.map((a) => a.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const order = [...acknowledged].sort((a, b) => a.version - b.version).map((a) => a.k);
    expect(await vectors(name)).toEqual(await vectors(await replay(order)));
    const served = await floatsOf(await call(`/v1/shards/${name}/weights`));
    expect(Array.from(served)).toEqual((await vectors(name))[0]);
  });
});
