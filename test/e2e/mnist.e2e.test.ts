/**
 * examples/mnist against a real `wrangler dev`: softmax regression on MNIST trained through
 * shards by the example's own trainers (shorter runs than its CLI's defaults).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createShardstep, type Shardstep } from "../../sdk/client";
import { biasCorrectionStudy } from "../../examples/mnist/bias";
import { loadMnist } from "../../examples/mnist/data";
import { trainRounds } from "../../examples/mnist/rounds";
import type { TrainData } from "../../examples/mnist/shard";
import { compareRules, trainAsync } from "../../examples/mnist/train";
import { adminToken, DevServer } from "./support/server";

let server: DevServer;
let api: Shardstep;
let data: TrainData;

beforeAll(async () => {
  server = await DevServer.start();
  api = createShardstep({ baseUrl: server.baseUrl, token: await adminToken() });
  data = loadMnist();
});

afterAll(async () => {
  await server?.dispose();
});

describe("examples/mnist", () => {
  it("async: concurrent non-IID clients train the shard past 85% held-out accuracy", async () => {
    const result = await trainAsync({
      api, shard: "mnist-e2e.async", rule: "adam", hyper: { lr: 0.003 }, data,
      clients: 3, steps: 400, batchSize: 128, split: "non-iid", order: "concurrent",
    });
    expect(result.losses.map((s) => s.step)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    expect(result.losses[0]!.loss).toBeCloseTo(Math.log(10), 5);
    expect(Math.max(...result.losses.map((s) => s.staleness))).toBeGreaterThan(0);
    expect(result.testAccuracy).toBeGreaterThan(0.85);
  });

  it("compare: every rule from the same start over the same batches, each on its own shard", async () => {
    const curves = await compareRules({ api, shardPrefix: "mnist-e2e.rules.", data, steps: 120 });
    expect(curves.map((c) => c.label)).toEqual(["Adam", "SGD Nesterov", "Adagrad", "RMSProp", "AdaDelta"]);
    for (const curve of curves) {
      expect(curve.losses).toHaveLength(120);
      expect(curve.losses[0]).toBeCloseTo(Math.log(10), 5); // zeros: the first batch costs ln 10 for every rule
      expect(curve.smoothed.at(-1)!).toBeLessThan(0.8);
      expect(curve.testAccuracy).toBeGreaterThan(0.8);
    }
  });

  it("bias: without Adam's bias correction, β2 close to 1 blows up the first steps at a large lr; with it, β2 does not matter", async () => {
    const runs = await biasCorrectionStudy({ api, shardPrefix: "mnist-e2e.bias.", data, steps: 20, early: 20, beta2: [0.99, 0.9999], learningRates: [0.03] });
    const find = (beta2: number, corrected: boolean) => runs.find((r) => r.beta2 === beta2 && r.corrected === corrected)!;
    expect(runs).toHaveLength(4);
    // Uncorrected, the first steps are (1 − β1)/√(1 − β2) = 10× the corrected ones at β2 = 0.9999.
    expect(find(0.9999, false).earlyLoss).toBeGreaterThan(2 * find(0.9999, true).earlyLoss);
    // Corrected, β2 barely changes the first steps (v̂ ≈ g² either way).
    expect(Math.abs(find(0.9999, true).earlyLoss - find(0.99, true).earlyLoss)).toBeLessThan(0.05);
  });

  it("rounds: FedAvg takes one step per round with every client's delta", async () => {
    const result = await trainRounds({
      api, shard: "mnist-e2e.rounds", rule: "sgd", hyper: { lr: 1 }, data,
      clients: 5, rounds: 6, localSteps: 10, localLr: 0.1, batchSize: 32, split: "iid", deadlineMs: 30_000,
    });
    expect(result.history.map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(result.history[0]!.loss).toBeCloseTo(Math.log(10), 5);
    expect(result.testAccuracy).toBeGreaterThan(0.8);
  });
});
