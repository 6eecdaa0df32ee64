import { describe, expect, it } from "vitest";
import { maxLength } from "../../src/config";
import { ISOLATE_RESIDENT_BUDGET_BYTES, RESIDENT_BUDGET_BYTES } from "../../src/limits";
import { getRule } from "../../src/optim";
import { residency } from "../../src/shard/store/residency";
import { call, createShard, floatsOf, uniqueName } from "./support/api";

// Production packs many objects into one 128 MB isolate: the shards resident together keep within
// one budget, the least recently used idle ones evicted to storage, with the same results.
describe("resident memory across the shards of an isolate", () => {
  it("keeps eight maximum Adam shards within the isolate's budget, each giving the results it gives alone", async () => {
    const hyper = getRule("adam").resolve({ lr: 0.01 });
    const length = maxLength({ rule: "adam", hyper, averages: {} });
    const config = { length, rule: "adam", hyper: { lr: 0.01 }, rate_limit: null };
    const gradient = (k: number) => Float32Array.from({ length }, (_, i) => Math.sin(k + i / 97));
    const shards: string[] = [];
    for (let s = 0; s < 8; s++) shards.push(await createShard(config, uniqueName("big")));
    const peaks: number[] = [];
    // Creating each evicted the one before: every push reloads its shard from storage.
    for (const name of shards) {
      const res = await call(`/v1/shards/${name}/gradients`, { method: "POST", body: gradient(1).buffer, headers: { "content-type": "application/octet-stream", prefer: "return=minimal" } });
      expect(res.status, await res.clone().text()).toBe(200);
      peaks.push(residency().bytes);
    }
    // Each shard alone needs most of the budget: every push evicted the shard before it.
    expect(2 * RESIDENT_BUDGET_BYTES).toBeGreaterThan(ISOLATE_RESIDENT_BUDGET_BYTES);
    expect(Math.min(...peaks)).toBeGreaterThan(0);
    expect(Math.max(...peaks)).toBeLessThanOrEqual(ISOLATE_RESIDENT_BUDGET_BYTES);
    expect(residency().shards).toBe(1);
    // Every shard, evicted and reloaded between its pushes, ends where the first ended.
    const first = await floatsOf(await call(`/v1/shards/${shards[0]}/weights`));
    expect(first.some((x) => x !== 0)).toBe(true);
    for (const name of shards.slice(1)) expect(Buffer.compare(Buffer.from((await floatsOf(await call(`/v1/shards/${name}/weights`))).buffer), Buffer.from(first.buffer)), name).toBe(0);
  }, 300_000);
});
