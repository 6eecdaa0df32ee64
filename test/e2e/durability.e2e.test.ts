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
import { createShardstep, ShardstepProblem, type PushOptions, type PushResult, type ShardConfigInput, type Shardstep } from "../../sdk/client";
import { bitDifference, Replay, type ReplayConfig } from "./support/replay";
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

/** The gradient client `c` pushes as its `k`-th push: deterministic, different for every push. */
function gradientOf(c: number, k: number): Float32Array {
  const g = new Float32Array(LENGTH);
  for (let i = 0; i < LENGTH; i++) g[i] = Math.sin(c * 131.7 + k * 17.3 + i * 0.37) * (1 + (i % 7)) * 0.1;
  return g;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Ack {
  client: number;
  k: number;
  gradient: Float32Array;
  result: PushResult;
  attempts: number;
}

interface Stats {
  failedAttempts: number;
  errors: Map<string, number>;
}

/** Pushes until acknowledged: retries failures (no answer, 5xx, 429) with the same key, backing off. */
async function pushDurably(api: Shardstep, shard: string, gradient: Float32Array, options: PushOptions, stats: Stats, deadline: number): Promise<{ result: PushResult; attempts: number }> {
  let backoff = 40;
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await api.pushGradient(shard, gradient, { ...options, signal: AbortSignal.timeout(20_000) });
      return { result, attempts: attempt };
    } catch (e) {
      const retryable = !(e instanceof ShardstepProblem) || e.status >= 500 || e.status === 429;
      if (!retryable || Date.now() > deadline) throw e;
      stats.failedAttempts += 1;
      const kind = e instanceof ShardstepProblem ? `${e.status} ${e.type}` : `${(e as Error).name}: ${String((e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message)}`;
      stats.errors.set(kind, (stats.errors.get(kind) ?? 0) + 1);
      await sleep(backoff * (0.5 + Math.random()));
      backoff = Math.min(backoff * 2, 800);
    }
  }
}

let server: DevServer;
let api: Shardstep;
const acks = new Map<string, Ack[]>();

beforeAll(async () => {
  server = await DevServer.start();
  // The client's own retries off: pushDurably retries here, and counts what failed.
  api = createShardstep({ baseUrl: server.baseUrl, token: await adminToken(), retry: false });
});

afterAll(async () => {
  await server?.dispose();
});

/** Replays the acknowledged pushes of `shard` in version order; checks every answer on the way. */
async function verifyShard(shard: string, expectedVersion: number): Promise<Replay> {
  const shardAcks = acks.get(shard) ?? [];
  const versions = shardAcks.map((a) => a.result.version).sort((a, b) => a - b);
  expect(versions, `${shard}: acknowledged versions`).toEqual(Array.from({ length: expectedVersion }, (_, i) => i + 1));

  const info = await api.getShard(shard);
  expect(info.version).toBe(expectedVersion);
  const replay = new Replay(info.config as unknown as ReplayConfig);
  // The weights after each version, to check what every answer carried.
  const trajectory: Float32Array[] = [replay.weights()];
  for (const ack of [...shardAcks].sort((a, b) => a.result.version - b.result.version)) {
    replay.push(ack.gradient);
    trajectory.push(replay.weights());
  }
  for (const ack of shardAcks) {
    const expected = trajectory[ack.result.weightsVersion];
    expect(expected, `${shard}: answer at version ${ack.result.weightsVersion}`).toBeDefined();
    expect(bitDifference(ack.result.weights, expected!), `${shard}: weights answered to client ${ack.client} push ${ack.k} (version ${ack.result.version}, replayed ${ack.result.replayed})`).toBeUndefined();
  }

  const weights = await api.getWeights(shard);
  expect(weights.version).toBe(expectedVersion);
  expect(bitDifference(weights.values, replay.weights()), `${shard}: stored weights`).toBeUndefined();
  for (const avg of replay.averages) {
    const served = await api.getAverage(shard, avg.name);
    expect(bitDifference(served.values, replay.average(avg.name)), `${shard}: average ${avg.name}`).toBeUndefined();
    expect(info.averages[avg.name]?.count, `${shard}: ${avg.name} count`).toBe(avg.count);
  }
  return replay;
}

describe("durability against a real wrangler dev", () => {
  it("keeps exactly the acknowledged pushes across a SIGKILL of workerd under concurrent load", async () => {
    for (let s = 0; s < SHARDS; s++) {
      const { created } = await api.createShard(shardName(s), config);
      expect(created).toBe(true);
    }
    const total = CLIENTS * PUSHES_PER_CLIENT;
    const stats: Stats = { failedAttempts: 0, errors: new Map() };
    const deadline = Date.now() + 120_000;
    let acknowledged = 0;
    let crash: Promise<number[]> | undefined;
    let acknowledgedAtCrash = -1;

    const client = async (c: number) => {
      const shard = shardName(c % SHARDS);
      let seen = 0;
      for (let k = 0; k < PUSHES_PER_CLIENT; k++) {
        const gradient = gradientOf(c, k);
        // Same key, same gradient, same base version on every retry: the server applies it at most once.
        const options = { idempotencyKey: `${run}-c${c}-k${k}`, baseVersion: seen, clientId: `client-${c}` };
        const { result, attempts } = await pushDurably(api, shard, gradient, options, stats, deadline);
        seen = Math.max(seen, result.weightsVersion);
        acks.set(shard, [...(acks.get(shard) ?? []), { client: c, k, gradient, result, attempts }]);
        acknowledged += 1;
        if (!crash && acknowledged >= total / 3) {
          acknowledgedAtCrash = acknowledged;
          // In the middle of the load: SIGKILL workerd (then the rest of wrangler), start again on the same state.
          crash = server.kill9Workerd().then(async (killed) => {
            await server.restart();
            return killed;
          });
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    const killed = await crash;

    expect(killed?.length, "workerd processes killed").toBeGreaterThan(0);
    expect(acknowledgedAtCrash).toBeLessThan(total);
    // The crash hit clients with pushes in flight or still to send: they failed and retried.
    expect(stats.failedAttempts, `failed attempts (${[...stats.errors].map(([k, n]) => `${k} × ${n}`).join(", ")})`).toBeGreaterThan(0);
    expect(acknowledged).toBe(total);

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
    const next = gradientOf(99, 0);
    const pushed = await api.pushGradient(shard, next, { idempotencyKey: `${run}-after-restart` });
    replay.push(next);
    expect(pushed.version).toBe(before.version + 1);
    expect(bitDifference(pushed.weights, replay.weights())).toBeUndefined();
    for (const avg of replay.averages) {
      expect(bitDifference((await api.getAverage(shard, avg.name)).values, replay.average(avg.name)), avg.name).toBeUndefined();
    }
  });
});
