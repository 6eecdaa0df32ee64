/**
 * Load with crashes, shared by the durability test and `npm run chaos`: clients push with
 * Idempotency-Keys and retry what was not acknowledged (same key, same gradient, same base
 * version), while workerd is SIGKILLed and restarted on the same state; afterwards every shard is
 * checked against a replay of exactly the acknowledged pushes.
 */
import { createShardstep, ShardstepProblem, type PushOptions, type PushResult, type ShardConfigInput, type Shardstep } from "../../../sdk/client";
import { bitDifference, Replay, type ReplayConfig } from "./replay";
import type { DevServer } from "./server";

export interface Ack {
  client: number;
  k: number;
  gradient: Float32Array;
  result: PushResult;
  attempts: number;
}

export interface Stats {
  failedAttempts: number;
  errors: Map<string, number>;
}

export interface LoadPlan {
  config: ShardConfigInput;
  shards: string[];
  clients: number;
  pushesPerClient: number;
  /** After how many acknowledged pushes workerd is SIGKILLed (and restarted), in order. */
  crashAt: number[];
  /** Client retries give up after this long. */
  deadlineMs: number;
}

export interface LoadOutcome {
  acks: Map<string, Ack[]>;
  acknowledged: number;
  stats: Stats;
  /** The workerd processes each crash killed. */
  killed: number[][];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The gradient client `c` pushes as its `k`-th push: deterministic, different for every push. */
export function gradientOf(length: number, c: number, k: number): Float32Array {
  const g = new Float32Array(length);
  for (let i = 0; i < length; i++) g[i] = Math.sin(c * 131.7 + k * 17.3 + i * 0.37) * (1 + (i % 7)) * 0.1;
  return g;
}

/** Pushes until acknowledged: retries failures (no answer, 5xx, 429) with the same key, backing off. */
export async function pushDurably(api: Shardstep, shard: string, gradient: Float32Array, options: PushOptions, stats: Stats, deadline: number): Promise<{ result: PushResult; attempts: number }> {
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

/** A client of the server without the client's own retries: `pushDurably` retries, and counts what failed. */
export const rawClient = (server: DevServer, token: string): Shardstep => createShardstep({ baseUrl: server.baseUrl, token, retry: false });

/** Runs the plan: creates the shards, loads them from every client, crashes workerd at each mark. */
export async function loadWithCrashes(server: DevServer, api: Shardstep, plan: LoadPlan, run: string): Promise<LoadOutcome> {
  for (const shard of plan.shards) await api.createShard(shard, plan.config);
  const length = plan.config.length;
  const stats: Stats = { failedAttempts: 0, errors: new Map() };
  const acks = new Map<string, Ack[]>();
  const deadline = Date.now() + plan.deadlineMs;
  const killed: number[][] = [];
  const marks = [...plan.crashAt];
  let acknowledged = 0;
  let crashing: Promise<void> = Promise.resolve();

  const client = async (c: number) => {
    const shard = plan.shards[c % plan.shards.length]!;
    let seen = 0;
    for (let k = 0; k < plan.pushesPerClient; k++) {
      const gradient = gradientOf(length, c, k);
      const options = { idempotencyKey: `${run}-c${c}-k${k}`, baseVersion: seen, clientId: `client-${c}` };
      const { result, attempts } = await pushDurably(api, shard, gradient, options, stats, deadline);
      seen = Math.max(seen, result.weightsVersion);
      acks.set(shard, [...(acks.get(shard) ?? []), { client: c, k, gradient, result, attempts }]);
      acknowledged += 1;
      if (marks.length > 0 && acknowledged >= marks[0]!) {
        marks.shift();
        // In the middle of the load: SIGKILL workerd (then the rest of wrangler), start again on the same state.
        crashing = crashing.then(async () => {
          killed.push(await server.kill9Workerd());
          await server.restart();
        });
      }
    }
  };
  await Promise.all(Array.from({ length: plan.clients }, (_, c) => client(c)));
  await crashing;
  return { acks, acknowledged, stats, killed };
}

/** What a shard holds against the pushes acknowledged to it. */
export interface ShardCheck {
  shard: string;
  acknowledged: number;
  stored: number;
  /** Acknowledged pushes not in the stored state (their version missing, or taken twice). */
  lost: number;
  /** The first difference from a replay of the acknowledged pushes: an answer, the weights or an average. */
  mismatch: string | undefined;
  replay: Replay;
}

/** Replays the acknowledged pushes of `shard` in version order and compares every answer and the stored state. */
export async function checkShard(api: Shardstep, shard: string, acks: readonly Ack[]): Promise<ShardCheck> {
  const info = await api.getShard(shard);
  const versions = new Set(acks.map((a) => a.result.version));
  const lost = acks.length - [...versions].filter((v) => v >= 1 && v <= info.version).length;
  const replay = new Replay(info.config as unknown as ReplayConfig);
  const trajectory: Float32Array[] = [replay.weights()];
  for (const ack of [...acks].sort((a, b) => a.result.version - b.result.version)) {
    replay.push(ack.gradient);
    trajectory.push(replay.weights());
  }
  let mismatch: string | undefined;
  const note = (what: string, difference: string | undefined) => {
    if (difference !== undefined && mismatch === undefined) mismatch = `${what}: ${difference}`;
  };
  for (const ack of acks) {
    const expected = trajectory[ack.result.weightsVersion];
    note(`answer to client ${ack.client} push ${ack.k} (version ${ack.result.version})`, expected ? bitDifference(ack.result.weights, expected) : "no such version");
  }
  const weights = await api.getWeights(shard);
  note("stored weights", weights.version === acks.length ? bitDifference(weights.values, replay.weights()) : `version ${weights.version}, ${acks.length} acknowledged`);
  for (const avg of replay.averages) {
    note(`average ${avg.name}`, bitDifference((await api.getAverage(shard, avg.name)).values, replay.average(avg.name)));
    if (info.averages[avg.name]?.count !== avg.count) note(`average ${avg.name}`, `count ${info.averages[avg.name]?.count}, replay ${avg.count}`);
  }
  return { shard, acknowledged: acks.length, stored: info.version, lost, mismatch, replay };
}
