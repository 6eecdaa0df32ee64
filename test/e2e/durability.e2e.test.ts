/**
 * Durability end to end: a real `wrangler dev` (workerd, SQLite on disk) driven through the SDK.
 *
 * (a) Many clients push with Idempotency-Keys while workerd is SIGKILLed in the middle of the load;
 *     they retry what was not acknowledged, with the same key, across the restart. Afterwards every
 *     acknowledged version is there exactly once, and the weights, the averages and every answer
 *     equal a local replay of the acknowledged pushes in version order, bit for bit (the replay runs
 *     the server's fast engine over the same kernels.wasm).
 * (b) The state (weights, optimizer slots, averages, idempotency ledger) survives a clean restart.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ShardConfigInput, Shardstep } from "../../sdk/client";
import { checkShard, gradientOf, loadWithCrashes, rawClient, type Ack } from "./support/load";
import { bitDifference, type Replay } from "./support/replay";
import { adminToken, DevServer } from "./support/server";

const LENGTH = 1000;
const SHARDS = 4;
const CLIENTS = 16;
const PUSHES_PER_CLIENT = 30;

const config = {
  length: LENGTH,
  rule: "adam",
  hyper: { lr: 0.01, amsgrad: true },
  init: { kind: "uniform", low: -0.5, high: 0.5, seed: 11 },
  averages: { ema: { kind: "ema", decay: 0.9 }, swa: { kind: "swa", start: 5 } },
  // Several pages per vector, so that a torn write would show.
  page_floats: 256,
} satisfies ShardConfigInput;

const run = randomUUID().slice(0, 8);
const shardName = (s: number) => `e2e-${run}-s${s}`;

let server: DevServer;
let api: Shardstep;
let acks = new Map<string, Ack[]>();

beforeAll(async () => {
  server = await DevServer.start();
  api = rawClient(server, await adminToken());
});

afterAll(async () => {
  await server?.dispose();
});

/** Replays the acknowledged pushes of `shard` in version order; checks every answer and the stored state. */
async function verifyShard(shard: string, expectedVersion: number): Promise<Replay> {
  const shardAcks = acks.get(shard) ?? [];
  const versions = shardAcks.map((a) => a.result.version).sort((a, b) => a - b);
  expect(versions, `${shard}: acknowledged versions`).toEqual(Array.from({ length: expectedVersion }, (_, i) => i + 1));
  const check = await checkShard(api, shard, shardAcks);
  expect(check.stored).toBe(expectedVersion);
  expect(check.lost).toBe(0);
  expect(check.mismatch, shard).toBeUndefined();
  return check.replay;
}

describe("durability against a real wrangler dev", () => {
  it("keeps exactly the acknowledged pushes across a SIGKILL of workerd under concurrent load", async () => {
    const total = CLIENTS * PUSHES_PER_CLIENT;
    const shards = Array.from({ length: SHARDS }, (_, s) => shardName(s));
    // In the middle of the load, a third of the way in.
    const outcome = await loadWithCrashes(server, api, { config, shards, clients: CLIENTS, pushesPerClient: PUSHES_PER_CLIENT, crashAt: [total / 3], deadlineMs: 120_000 }, run);
    acks = outcome.acks;
    const { stats } = outcome;
    expect(outcome.killed[0]?.length, "workerd processes killed").toBeGreaterThan(0);
    // The crash hit clients with pushes in flight or still to send: they failed and retried.
    expect(stats.failedAttempts, `failed attempts (${[...stats.errors].map(([k, n]) => `${k} × ${n}`).join(", ")})`).toBeGreaterThan(0);
    expect(outcome.acknowledged).toBe(total);

    for (let s = 0; s < SHARDS; s++) await verifyShard(shardName(s), (CLIENTS / SHARDS) * PUSHES_PER_CLIENT);
  });

  it("keeps weights, optimizer state, averages and the idempotency ledger across a clean restart", async () => {
    const shard = shardName(0);
    const before = await api.getWeights(shard);
    const infoBefore = await api.getShard(shard);
    await server.restart();

    const after = await api.getWeights(shard);
    expect(after.version).toBe(before.version);
    expect(after.revision).toBe(before.revision);
    expect(bitDifference(after.values, before.values)).toBeUndefined();
    const infoAfter = await api.getShard(shard);
    expect({ ...infoAfter, updated_at: undefined }).toEqual({ ...infoBefore, updated_at: undefined });

    // A retry of an acknowledged push is still recognised: it applies nothing.
    const first = acks.get(shard)!.find((a) => a.k === 0)!;
    const retried = await api.pushGradient(shard, first.gradient, { idempotencyKey: `${run}-c${first.client}-k${first.k}`, baseVersion: 0, clientId: `client-${first.client}` });
    expect(retried.replayed).toBe(true);
    expect(retried.version).toBe(first.result.version);
    expect(retried.weightsVersion).toBe(before.version);

    // The next push continues from the persisted slots (Adam's moments, amsgrad's max): it equals the replay's next step.
    const replay = await verifyShard(shard, before.version);
    const next = gradientOf(LENGTH, 99, 0);
    const pushed = await api.pushGradient(shard, next, { idempotencyKey: `${run}-after-restart` });
    replay.push(next);
    expect(pushed.version).toBe(before.version + 1);
    expect(bitDifference(pushed.weights, replay.weights())).toBeUndefined();
    for (const avg of replay.averages) {
      expect(bitDifference((await api.getAverage(shard, avg.name)).values, replay.average(avg.name)), avg.name).toBeUndefined();
    }
  });
});
