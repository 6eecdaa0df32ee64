import { env } from "cloudflare:workers";
import { abortAllDurableObjects, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, createShard, floatsOf, pastRoundDeadline, push } from "./support/api";
import { storedState } from "./support/snapshot";

const LENGTH = 6;
const rounds = (aggregation: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  length: LENGTH,
  rule: "sgd",
  hyper: { lr: 1 },
  rate_limit: null,
  page_floats: 4,
  aggregation: { mode: "rounds", deadline_ms: 60_000, ...aggregation },
  ...extra,
});

const vector = (k: number) => Array.from({ length: LENGTH }, (_, i) => Math.fround(Math.sin(3 * k + i) * (1 + i)));
const from = (client: string, headers: Record<string, string> = {}) => ({ "x-client-id": client, ...headers });
const stubOf = (name: string) => env.SHARDS.get(env.SHARDS.idFromName(name));
const weightsOf = async (name: string) => Array.from(await floatsOf(await call(`/v1/shards/${name}/weights`)));
const statusOf = async (name: string) => (await call(`/v1/shards/${name}/status`)).json<Record<string, any>>();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Coordinate-wise combinations, computed here in f64 from their definitions. */
const expected = {
  mean: (vs: number[][]) => vs[0]!.map((_, i) => vs.reduce((s, v) => s + v[i]!, 0) / vs.length),
  weighted: (vs: number[][], w: number[]) => vs[0]!.map((_, i) => vs.reduce((s, v, j) => s + w[j]! * v[i]!, 0) / w.reduce((a, b) => a + b, 0)),
  median: (vs: number[][]) =>
    vs[0]!.map((_, i) => {
      const c = vs.map((v) => v[i]!).sort((a, b) => a - b);
      const k = c.length;
      return k % 2 ? c[(k - 1) / 2]! : (c[k / 2 - 1]! + c[k / 2]!) / 2;
    }),
  trimmed: (vs: number[][], trim: number) =>
    vs[0]!.map((_, i) => {
      const c = vs.map((v) => v[i]!).sort((a, b) => a - b).slice(trim, vs.length - trim);
      return c.reduce((a, b) => a + b, 0) / c.length;
    }),
};

/** sgd with lr 1 from zeros: the weights after one round are minus the combined gradient. */
const negated = (v: number[]) => v.map((x) => Math.fround(-Math.fround(x)));

async function pushAll(name: string, vectors: number[][], headers: (j: number) => Record<string, string> = () => ({})) {
  const answers = [];
  for (const [j, v] of vectors.entries()) answers.push(await push(name, v, from(`c${j}`, headers(j))));
  return answers;
}

describe("rounds: a round closes at its quorum and the rule takes exactly one step", () => {
  it("answers 202 with the round until the quorum, then the new weights", async () => {
    const name = await createShard(rounds({ quorum: 3, reducer: "mean" }));
    const vs = [vector(1), vector(2), vector(3)];
    const [a, b, c] = await pushAll(name, vs);
    expect(a!.status).toBe(202);
    expect(a!.headers.get("x-round")).toBe("1");
    expect(await a!.json()).toMatchObject({ applied: false, version: 0, round: { number: 1, closed: false, contributors: 1, quorum: 3, rolled: false } });
    expect(await b!.json()).toMatchObject({ round: { contributors: 2 } });
    expect(c!.status).toBe(200);
    expect(c!.headers.get("x-shard-version")).toBe("1");
    expect(Array.from(await floatsOf(c!))).toEqual(negated(expected.mean(vs)));
    expect(await statusOf(name)).toMatchObject({
      mode: "rounds",
      version: 1,
      pushes: 3,
      round: { number: 2, contributors: 0, quorum: 3, deadline: null },
      rounds: { closed: 1, by_quorum: 1, by_deadline: 0, last: { round: 1, pushes: 3, reason: "quorum" } },
    });
  });

  const reducers: [string, Record<string, unknown>, (vs: number[][], w: number[]) => number[]][] = [
    ["mean", { reducer: "mean" }, (vs) => expected.mean(vs)],
    ["weighted_mean", { reducer: "weighted_mean" }, (vs, w) => expected.weighted(vs, w)],
    ["median", { reducer: "median" }, (vs) => expected.median(vs)],
    ["trimmed_mean", { reducer: "trimmed_mean", trim: 1 }, (vs) => expected.trimmed(vs, 1)],
  ];
  it.each(reducers)("combines the round with %s", async (_label, aggregation, combine) => {
    const vs = [vector(4), vector(5), vector(6), vector(7), [100, -100, 50, -50, 1e3, -1e3]];
    const counts = [1, 2, 3, 4, 5];
    const name = await createShard(rounds({ quorum: 5, ...aggregation }));
    const answers = await pushAll(name, vs, (j) => ({ "x-sample-count": String(counts[j]) }));
    expect(answers.map((r) => r.status)).toEqual([202, 202, 202, 202, 200]);
    const got = await weightsOf(name);
    const want = negated(combine(vs, counts));
    for (let i = 0; i < LENGTH; i++) expect(got[i]).toBeCloseTo(want[i]!, 4);
  });

  it("treats deltas as the negated combination (FedAvg: sgd with lr 1 moves the weights by the mean delta)", async () => {
    const name = await createShard(rounds({ quorum: 2, reducer: "weighted_mean", input: "delta" }));
    const vs = [vector(8), vector(9)];
    await pushAll(name, vs, (j) => ({ "x-sample-count": String(j + 1) }));
    const want = expected.weighted(vs, [1, 2]);
    const got = await weightsOf(name);
    for (let i = 0; i < LENGTH; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);
  });
});

describe("rounds: one contribution per client per round", () => {
  it("refuses a second push of a client (409), changing nothing; a retry with the same key answers the first", async () => {
    const name = await createShard(rounds({ quorum: 2 }));
    const first = await push(name, vector(1), from("a", { "idempotency-key": "a-1" }));
    expect(first.status).toBe(202);
    const before = await storedState(name);
    const second = await push(name, vector(2), from("a", { "idempotency-key": "a-2" }));
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({ type: "/problems/already-contributed", round: 1 });
    const retry = await push(name, vector(1), from("a", { "idempotency-key": "a-1" }));
    expect(retry.status).toBe(202);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await storedState(name)).toBe(before);
    // The round closes with one push from each of two clients; a retry then answers the weights.
    expect((await push(name, vector(3), from("b"))).status).toBe(200);
    const late = await push(name, vector(1), from("a", { "idempotency-key": "a-1" }));
    expect(late.status).toBe(200);
    expect(await late.json().catch(() => null)).toBeNull();
    expect((await statusOf(name)).pushes).toBe(2);
  });

  it("refuses pushes with an offset or of the wrong length, changing nothing", async () => {
    const name = await createShard(rounds({ quorum: 2 }));
    const before = await storedState(name);
    const partial = await push(name, [1, 2], from("a"), "?offset=2");
    expect(partial.status).toBe(400);
    expect((await partial.json<{ detail: string }>()).detail).toMatch(/whole vector/);
    const short = await push(name, [1, 2], from("a"));
    expect(short.status).toBe(422);
    expect(await storedState(name)).toBe(before);
  });
});

describe("rounds: late pushes", () => {
  it("refuses a push computed for a closed round when late = reject", async () => {
    const name = await createShard(rounds({ quorum: 1, late: "reject" }));
    expect((await push(name, vector(1), from("a", { "x-base-version": "0" }))).status).toBe(200);
    const before = await storedState(name);
    const late = await push(name, vector(2), from("b", { "x-base-version": "0" }));
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ type: "/problems/round-closed", round: 2, version: 1 });
    expect(await storedState(name)).toBe(before);
  });

  it("counts it in the open round when late = roll", async () => {
    const name = await createShard(rounds({ quorum: 2, late: "roll" }));
    await pushAll(name, [vector(1), vector(2)]);
    const late = await push(name, vector(3), from("x", { "x-base-version": "0" }));
    expect(late.status).toBe(202);
    expect(await late.json()).toMatchObject({ staleness: 1, round: { number: 2, rolled: true, contributors: 1 } });
    expect((await statusOf(name)).rounds.late_rolled).toBe(1);
  });
});

describe("rounds: deadlines (Durable Object alarms)", () => {
  it("closes a round at its deadline with the pushes it has, and a second alarm changes nothing", async () => {
    const name = await createShard(rounds({ quorum: 5, deadline_ms: 1_500, reducer: "mean" }));
    const vs = [vector(1), vector(2)];
    await pushAll(name, vs);
    const status = await statusOf(name);
    expect(status.round).toMatchObject({ contributors: 2, quorum: 5 });
    expect(Date.parse(status.round.deadline) - Date.parse(status.round.opened_at)).toBe(1_500);
    await pastRoundDeadline(name);
    await runDurableObjectAlarm(stubOf(name));
    expect(await statusOf(name)).toMatchObject({ version: 1, round: { number: 2, contributors: 0 }, rounds: { by_deadline: 1 } });
    expect(await weightsOf(name)).toEqual(negated(expected.mean(vs)));
    const after = await storedState(name);
    await runDurableObjectAlarm(stubOf(name));
    expect(await storedState(name)).toBe(after);
  });

  it("moves the deadline on when the round has fewer pushes than its reducer needs", async () => {
    const name = await createShard(rounds({ quorum: 3, deadline_ms: 100, reducer: "trimmed_mean", trim: 1 }));
    await pushAll(name, [vector(1), vector(2)]);
    const first = (await statusOf(name)).round.deadline;
    await sleep(150);
    await runDurableObjectAlarm(stubOf(name));
    const status = await statusOf(name);
    expect(status).toMatchObject({ version: 0, round: { contributors: 2 } });
    expect(Date.parse(status.round.deadline)).toBeGreaterThan(Date.parse(first));
  });

  it("a push after a missed deadline closes the overdue round first", async () => {
    const name = await createShard(rounds({ quorum: 3, deadline_ms: 100 }));
    await pushAll(name, [vector(1)]);
    await sleep(150);
    const next = await push(name, vector(2), from("b"));
    expect(next.status).toBe(202);
    expect(await next.json()).toMatchObject({ version: 1, round: { number: 2, contributors: 1 } });
  });
});

describe("rounds: waiting for the round", () => {
  it("Prefer: wait answers the new weights when the round closes while the push waits", async () => {
    const name = await createShard(rounds({ quorum: 2, reducer: "mean" }));
    const waiting = push(name, vector(1), from("a", { prefer: "wait=10" }));
    await sleep(50);
    const closing = await push(name, vector(2), from("b"));
    const waited = await waiting;
    expect(waited.status).toBe(200);
    expect(waited.headers.get("preference-applied")).toBe("wait=10");
    expect(Array.from(await floatsOf(waited))).toEqual(Array.from(await floatsOf(closing)));
  });

  it("Prefer: wait gives up after its bound with 202", async () => {
    const name = await createShard(rounds({ quorum: 2 }));
    const started = Date.now();
    const res = await push(name, vector(1), from("a", { prefer: "wait=1" }));
    expect(res.status).toBe(202);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("a weights long poll (If-None-Match + Prefer: wait) answers when the round closes", async () => {
    const name = await createShard(rounds({ quorum: 2 }));
    const etag = (await call(`/v1/shards/${name}/weights`)).headers.get("etag")!;
    const poll = call(`/v1/shards/${name}/weights`, { headers: { "if-none-match": etag, prefer: "wait=10" } });
    await pushAll(name, [vector(1), vector(2)]);
    const res = await poll;
    expect(res.status).toBe(200);
    expect(res.headers.get("x-shard-version")).toBe("1");
    const idle = await call(`/v1/shards/${name}/weights`, { headers: { "if-none-match": res.headers.get("etag")!, prefer: "wait=1" } });
    expect(idle.status).toBe(304);
  });
});

describe("rounds: crashes", () => {
  it("keeps the pushes of an open round across a crash: nothing lost, nothing applied twice", async () => {
    const config = rounds({ quorum: 3, reducer: "mean" }, { rule: "adam", hyper: { lr: 0.1 }, averages: { ema: { kind: "ema", decay: 0.5 } } });
    const crashed = await createShard(config);
    const vs = [vector(1), vector(2), vector(3), vector(4), vector(5), vector(6)];
    for (const [j, v] of vs.entries()) {
      const key = { "idempotency-key": `k${j}` };
      const inflight = push(crashed, v, from(`c${j % 3}`, key)).catch(() => null);
      if (j % 2 === 0) await abortAllDurableObjects();
      let res = await inflight;
      while (!res || res.status >= 300) res = await push(crashed, v, from(`c${j % 3}`, key)).catch(() => null);
    }
    const clean = await createShard(config);
    await pushAll(clean, vs.slice(0, 3));
    await pushAll(clean, vs.slice(3));
    expect(await weightsOf(crashed)).toEqual(await weightsOf(clean));
    const ema = async (n: string) => Array.from(await floatsOf(await call(`/v1/shards/${n}/averages/ema`)));
    expect(await ema(crashed)).toEqual(await ema(clean));
    expect(await statusOf(crashed)).toMatchObject({ version: 2, pushes: 6, rounds: { closed: 2 } });
  });
});

describe("rounds: clipping and noise", () => {
  it("clips each push to clip_norm before combining", async () => {
    const name = await createShard(rounds({ quorum: 2, reducer: "mean", clip_norm: 1 }));
    const big = [3, 4, 0, 0, 0, 0];
    const small = [0, 0, 0.3, 0.4, 0, 0];
    const [first] = await pushAll(name, [big, small]);
    expect(await first!.json()).toMatchObject({ norm: 5 });
    const got = await weightsOf(name);
    const want = negated(expected.mean([[0.6, 0.8, 0, 0, 0, 0], small]));
    for (let i = 0; i < LENGTH; i++) expect(got[i]).toBeCloseTo(want[i]!, 6);
  });

  it("adds seeded Gaussian noise of std multiplier × clip / pushes: reproducible, and of that scale", async () => {
    const length = 8192;
    const config = { ...rounds({ quorum: 4, reducer: "mean", clip_norm: 2, noise_multiplier: 1.5, noise_seed: 7 }), length, page_floats: 4096 };
    const zeros = Array.from({ length: 4 }, () => new Array(length).fill(0));
    const a = await createShard(config);
    const b = await createShard(config);
    await pushAll(a, zeros);
    await pushAll(b, zeros);
    const noise = await weightsOf(a);
    expect(noise).toEqual(await weightsOf(b));
    const mean = noise.reduce((s, x) => s + x, 0) / length;
    const std = Math.sqrt(noise.reduce((s, x) => s + (x - mean) ** 2, 0) / length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(std).toBeGreaterThan(0.75 * 0.95);
    expect(std).toBeLessThan(0.75 * 1.05);
  });
});

describe("rounds: configuration", () => {
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ["trimmed_mean without trim", { reducer: "trimmed_mean" }, /trim/],
    ["trim beyond the quorum", { reducer: "trimmed_mean", trim: 2, quorum: 4 }, /quorum of at least 5/],
    ["trim on another reducer", { reducer: "median", trim: 1 }, /trimmed_mean only/],
    ["noise without clipping", { reducer: "mean", noise_multiplier: 1 }, /clip_norm/],
    ["noise with a weighted mean", { reducer: "weighted_mean", noise_multiplier: 1, clip_norm: 1 }, /unweighted 'mean'/],
    ["an unknown mode", { mode: "sync" }, /aggregation.mode/],
    ["a deadline under 100 ms", { deadline_ms: 10 }, /deadline_ms/],
  ];
  it.each(bad)("refuses %s", async (_label, aggregation, message) => {
    const res = await call(`/v1/shards/bad-${Date.now()}`, { method: "PUT", json: rounds(aggregation) });
    expect(res.status).toBe(400);
    expect((await res.json<{ detail: string }>()).detail).toMatch(message);
  });

  it("bounds the quorum by the memory a close may hold (32 MiB of pages at once)", async () => {
    const config = { length: 262_144, rule: "sgd", aggregation: { mode: "rounds", quorum: 33 } };
    const res = await call(`/v1/shards/big-${Date.now()}`, { method: "PUT", json: config });
    expect(res.status).toBe(400);
    expect((await res.json<{ detail: string }>()).detail).toMatch(/quorum.*<= 32/);
    const smaller = await call(`/v1/shards/big-${Date.now()}`, { method: "PUT", json: { ...config, page_floats: 65_536 } });
    expect(smaller.status).toBe(201);
  });

  it("refuses staleness settings in rounds mode", async () => {
    const res = await call(`/v1/shards/stale-${Date.now()}`, { method: "PUT", json: rounds({}, { staleness: { max: 2 } }) });
    expect(res.status).toBe(400);
    expect((await res.json<{ detail: string }>()).detail).toMatch(/async mode/);
  });
});

describe("status in async mode", () => {
  it("reports accepted pushes and their staleness", async () => {
    const name = await createShard({ length: 3, rule: "sgd", rate_limit: null, staleness: { max: 1, policy: "scale" } });
    for (const base of [0, 0, 0, 2]) await push(name, [1, 2, 3], { "x-base-version": String(base) });
    expect(await statusOf(name)).toMatchObject({
      mode: "async",
      round: null,
      version: 4,
      pushes: 4,
      staleness: { mean: 1, max: 2, scaled: 1, histogram: [{ le: 0, count: 1 }, { le: 1, count: 2 }, { le: 3, count: 1 }, { count: 0 }, { count: 0 }, { le: null, count: 0 }] },
    });
  });
});
