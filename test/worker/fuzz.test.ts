/**
 * A seeded HTTP fuzz of every route of the app (issue 12, "Proof"): thousands of requests with
 * valid and malformed paths, queries, headers, JSON and binary bodies, a valid admin token or a
 * bad one. Every answer is below 500; every 4xx is an RFC 9457 problem; after every refusal the
 * stored bytes (and so the version) of the shards the request named are what they were.
 *
 *   FUZZ_SEED=<n> npx vitest run --project worker test/worker/fuzz.test.ts   (FUZZ_SEED=random draws one)
 *   FUZZ_RUNS=<n> for more or fewer requests
 */
import { workerFetch } from "./support/contract";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { workerCount, workerSeed } from "../support/seed-env";
import { call, createShard, push, uniqueName } from "./support/api";
import { fuzzRequests, materialize, operations, type Fixtures } from "./support/fuzz-requests";
import { storedState } from "./support/snapshot";

const SEED = workerSeed("FUZZ_SEED", 20_260_612);
const RUNS = workerCount("FUZZ_RUNS", 2000);

const adam = { length: 8, rule: "adam", hyper: { lr: 0.01 }, rate_limit: null, averages: { ema: { kind: "ema", decay: 0.9 } } };
const rounds = { length: 8, rule: "sgd", hyper: { lr: 0.1 }, rate_limit: null, aggregation: { mode: "rounds", quorum: 3, deadline_ms: 7 * 24 * 3600 * 1000 } };
const manifest = { tensors: [{ name: "w", shape: [2, 2] }, { name: "x.b", shape: [2] }], shard_size: 4, config: { rule: "sgd", hyper: { lr: 0.1 } } };

async function created<T>(res: Response, what: string): Promise<T> {
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${await res.text()}`);
  return res.json<T>();
}

/**
 * (Re)creates whatever of the fixtures is missing: a DELETE (or a replacing PUT) the fuzz sent with
 * a valid token removes one. Only the fixtures among `named` are looked at, all of them at first.
 */
async function ensureFixtures(f: Partial<Fixtures>, named?: string[]): Promise<Fixtures> {
  const shard = async () => {
    if (!f.shard || (await call(`/v1/shards/${f.shard}`)).status === 404) {
      f.shard = await createShard(adam, uniqueName("fz-s"));
      await push(f.shard, Array(8).fill(0.5));
    }
    if (f.checkpoint === undefined || (await call(`/v1/shards/${f.shard}/checkpoints/${f.checkpoint}`)).status === 404) {
      f.checkpoint = (await created<{ id: number }>(await call(`/v1/shards/${f.shard}/checkpoints`, { method: "POST", json: {} }), "checkpoint")).id;
    }
  };
  const roundsShard = async () => {
    if (!f.rounds || (await call(`/v1/shards/${f.rounds}`)).status === 404) f.rounds = await createShard(rounds, uniqueName("fz-r"));
  };
  const model = async () => {
    const name = f.model ?? uniqueName("fz-m");
    if ((await call(`/v1/models/${name}`)).status === 404) {
      const info = await created<{ shards: { name: string }[] }>(await call(`/v1/models/${name}`, { method: "PUT", json: manifest }), "model");
      Object.assign(f, { model: name, modelShards: info.shards.map((s) => s.name), modelCheckpoint: undefined });
    }
    const listed = await created<{ checkpoints: { id: number }[] }>(await call(`/v1/models/${name}/checkpoints`), "model checkpoints");
    if (!listed.checkpoints.some((c) => c.id === f.modelCheckpoint)) {
      f.modelCheckpoint = (await created<{ id: number }>(await call(`/v1/models/${name}/checkpoints`, { method: "POST", json: {} }), "model checkpoint")).id;
    }
  };
  const looks = (...names: (string | undefined)[]) => named === undefined || names.some((n) => n !== undefined && named.includes(n));
  await Promise.all([looks(f.shard) && shard(), looks(f.rounds) && roundsShard(), looks(...(f.modelShards ?? [])) && model()]);
  return f as Fixtures;
}

interface Problem {
  type: unknown;
  title: unknown;
  status: unknown;
  detail: unknown;
}

describe("HTTP fuzz of every route", () => {
  let fixtures: Fixtures;
  beforeAll(async () => {
    fixtures = await ensureFixtures({});
  }, 120_000);

  it(`answers ${RUNS} requests with no 5xx, problems for every refusal, and no refusal changing a shard`, async () => {
    const ops = operations();
    expect(new Set(ops.map((o) => o.op)).size, "operations of openapi.yaml").toBeGreaterThanOrEqual(35);
    /** Stored state of fixture shards as last read; dropped when an answer may have changed them. */
    const known = new Map<string, string>();
    const stateOf = async (shard: string) => known.get(shard) ?? known.set(shard, await storedState(shard)).get(shard)!;
    const seen = { requests: 0, refusals: 0, statuses: new Map<number, number>(), ops: new Set<string>() };
    const started = Date.now();

    await fc.assert(
      fc.asyncProperty(fuzzRequests(ops), async (drawn) => {
        const { request, touched, label } = await materialize(drawn, fixtures);
        const before = new Map<string, string>();
        for (const shard of touched) before.set(shard, await stateOf(shard));
        const res = await workerFetch(request);
        const text = new TextDecoder().decode(await res.arrayBuffer());
        seen.requests++;
        seen.ops.add(drawn.op);
        seen.statuses.set(res.status, (seen.statuses.get(res.status) ?? 0) + 1);
        expect(res.status, `${label}\n→ ${text.slice(0, 400)}`).toBeLessThan(500);
        if (res.status < 400) {
          if (drawn.method === "GET") return;
          for (const shard of touched) known.delete(shard);
          const removes = drawn.method === "DELETE" || (drawn.method === "PUT" && !drawn.path.endsWith("/weights"));
          if (touched.length > 0 && removes) fixtures = await ensureFixtures(fixtures, touched);
          return;
        }
        seen.refusals++;
        expect(res.headers.get("content-type"), `${label}\n→ ${res.status} ${text.slice(0, 200)}`).toBe("application/problem+json");
        const problem = JSON.parse(text) as Problem;
        expect(typeof problem.type === "string" && problem.type.startsWith("/problems/"), `${label}: type ${String(problem.type)}`).toBe(true);
        expect(typeof problem.title === "string" && typeof problem.detail === "string", `${label}: title and detail`).toBe(true);
        expect(problem.status, label).toBe(res.status);
        for (const shard of touched) {
          known.delete(shard);
          expect(await stateOf(shard), `${label}\n→ ${res.status} ${text.slice(0, 200)}\nchanged the stored state of ${shard}`).toBe(before.get(shard));
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );

    const statuses = [...seen.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(" ");
    console.log(`fuzz: ${seen.requests} requests (${seen.refusals} refusals) over ${seen.ops.size} operations in ${((Date.now() - started) / 1000).toFixed(1)} s, seed ${SEED}: ${statuses}`);
    expect(seen.requests).toBeGreaterThanOrEqual(RUNS);
    expect(seen.ops.size, "every operation drawn").toBe(new Set(ops.map((o) => o.op)).size);
  }, 600_000);
});
