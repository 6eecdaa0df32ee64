import { evictAllDurableObjects } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getRule, type RuleName } from "../../src/optim";
import { createShard, push } from "./support/api";
import { storedVector } from "./support/snapshot";

/**
 * The rules added beside PyTorch's classics keep everything they need in storage: after an eviction
 * halfway, a shard's stored weights and slots equal those of a shard that got the same pushes
 * undisturbed (ASGD's eta and mu scalars, Rprop's step sizes, the momentum buffers, ...).
 */
const LENGTH = 23;
const configs: [RuleName, Record<string, unknown>][] = [
  ["rprop", { lr: 0.05 }],
  ["asgd", { lr: 0.05, lambd: 0.01, t0: 1 }],
  ["lion", { lr: 0.01, weight_decay: 0.1 }],
  ["normalized", { lr: 0.1, momentum: 0.9 }],
  ["adafactor", { weight_decay: 0.01 }],
];
const gradient = (k: number) => Array.from({ length: LENGTH }, (_, i) => Math.sin(3 * k + i) * (1 + (i % 4)));

describe.each(configs)("%s", (rule, hyper) => {
  const config = { length: LENGTH, rule, hyper, page_floats: 5, rate_limit: null };
  const slots = ["weights", ...getRule(rule).transform(getRule(rule).resolve(hyper)).slots.map((s) => `slot:${s.name}`)];
  const vectors = (name: string) => Promise.all(slots.map(async (s) => Array.from(await storedVector(name, s))));

  it("rebuilds its state from storage after an eviction", async () => {
    const evicted = await createShard(config);
    for (let k = 0; k < 6; k++) {
      if (k === 3) await evictAllDurableObjects();
      expect((await push(evicted, gradient(k))).status).toBe(200);
    }
    // Created after the eviction: it never leaves memory.
    const undisturbed = await createShard(config);
    for (let k = 0; k < 6; k++) expect((await push(undisturbed, gradient(k))).status).toBe(200);
    const stored = await vectors(evicted);
    expect(stored[0]!.length).toBe(LENGTH);
    expect(stored).toEqual(await vectors(undisturbed));
  });
});
