import { env } from "cloudflare:workers";
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ruleNames, type RuleName } from "../../src/optim";
import { LOG_MIN_LENGTH, LOG_RING_IDLE_MS, MAX_LOG_BYTES, MAX_LOG_STEPS } from "../../src/limits";
import { applyPush } from "../../src/shard/pushes/apply";
import { captureStep, materialize, pushEntry, writeSteps, type Captured } from "../../src/shard/store/gradient-log";
import { saveCounters } from "../../src/shard/store/meta";
import { ruleResident } from "../../src/shard/store/resident";
import { call, createShard, push } from "./support/api";
import { residentBits, storedLog, storeOf } from "./support/resident-state";
import { storedVector } from "./support/snapshot";

/**
 * The gradient log (docs/gradient-log.md): a shard that logs its steps, crashed at any of its
 * commit points or inside one, rebuilds the very bits (weights, every slot, every average, the
 * counters) of a shard that writes its state pages at every step and got the same pushes.
 */
const LENGTH = LOG_MIN_LENGTH + 37;
const SEED = 20261206;
console.log(`gradient-log.test: gradients seeded with ${SEED}`);

/** A seeded gradient (xorshift32), different for each k. */
function gradient(k: number, length = LENGTH): Float32Array {
  let s = (SEED ^ Math.imul(k + 1, 0x9e3779b1)) >>> 0 || 1;
  return Float32Array.from({ length }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 2 ** 32 - 0.5) * 2;
  });
}

const logged = (config: Record<string, unknown>, bound: Record<string, number> = { max_steps: 3 }) => ({ ...config, gradient_log: bound });
const paged = (config: Record<string, unknown>) => ({ ...config, gradient_log: { max_steps: 0 } });
const stubOf = (name: string) => env.SHARDS.get(env.SHARDS.idFromName(name));

/** A shard that logs its steps within `bound` and its twin that writes its pages at every step, of one configuration. */
async function twins(config: Record<string, unknown>, bound?: Record<string, number>): Promise<{ log: string; pages: string }> {
  return { log: await createShard(logged(config, bound)), pages: await createShard(paged(config)) };
}

/** The gradients k = from .. to − 1 pushed to both twins. */
async function pushBoth(twins: { log: string; pages: string }, from: number, to: number): Promise<void> {
  for (let k = from; k < to; k++) {
    await ok(push(twins.log, gradient(k)));
    await ok(push(twins.pages, gradient(k)));
  }
}
const ok = async (res: Promise<Response>) => expect((await res).status).toBe(200);

const base = {
  length: LENGTH,
  rule: "adam",
  hyper: { lr: 0.01, amsgrad: true, weight_decay: 0.01 },
  page_floats: 4096,
  rate_limit: null,
  non_finite: "zero",
  clipping: { kind: "norm", max_norm: 50 },
  averages: { ema: { kind: "ema", decay: 0.9 }, swa: { kind: "swa", start: 2 } },
  schedule: { type: "cosine", T_max: 10 },
};

/** Pushes of the sequence: whole gradients, one with NaNs (zeroed), one partial, one with a key and a base version (staleness). */
function sequencePush(name: string, k: number): Promise<Response> {
  const g = gradient(k);
  if (k % 5 === 2) g[k] = Number.NaN;
  if (k % 5 === 3) return push(name, g.subarray(100, 5000), {}, "?offset=100");
  return push(name, g, k % 5 === 4 ? { "idempotency-key": `k-${k}`, "x-base-version": "0" } : {});
}

describe("a logging shard crashed after any commit equals one that writes pages every step", () => {
  it("after each push (appends and materializations at the bound), bit for bit, the log within its bound", async () => {
    const config = { ...base, staleness: { max: 100, policy: "scale", exponent: 0.5 } };
    const log = await createShard(logged(config));
    const pages = await createShard(paged(config));
    let materializations = 0;
    for (let k = 0; k < 9; k++) {
      await ok(sequencePush(log, k));
      await ok(sequencePush(pages, k));
      const stored = await storedLog(log);
      expect(stored.steps).toBeLessThanOrEqual(3);
      if (stored.steps === 0) materializations += 1;
      await abortAllDurableObjects();
      expect(await residentBits(log), `after push ${k}`).toEqual(await residentBits(pages));
    }
    expect(materializations).toBeGreaterThanOrEqual(2);
  });

  it("keeps its byte bound", async () => {
    const log = await createShard(logged(base, { max_steps: 100, max_bytes: LENGTH * 4 * 2 + 8 }));
    const pages = await createShard(paged(base));
    for (let k = 0; k < 5; k++) {
      await ok(push(log, gradient(k)));
      await ok(push(pages, gradient(k)));
      const stored = await storedLog(log);
      expect(stored.bytes).toBeLessThanOrEqual(LENGTH * 4 * 2 + 8);
      expect(stored.steps).toBe([1, 2, 0, 1, 2][k]);
    }
    await abortAllDurableObjects();
    expect(await residentBits(log)).toEqual(await residentBits(pages));
  });

  it("loses nothing acknowledged when aborted with pushes in flight", async () => {
    const log = await createShard(logged(base, { max_steps: 4 }));
    const acknowledged: { k: number; version: number }[] = [];
    for (let round = 0; round < 3; round++) {
      const inflight = [0, 1, 2, 3].map(async (j) => {
        const k = round * 4 + j;
        return { k, res: await push(log, gradient(k), { "idempotency-key": `f-${k}` }).catch(() => null) };
      });
      await abortAllDurableObjects();
      for (const { k, res } of await Promise.all(inflight)) {
        let answer = res;
        while (!answer || answer.status !== 200) answer = await push(log, gradient(k), { "idempotency-key": `f-${k}` }).catch(() => null);
        acknowledged.push({ k, version: Number(answer.headers.get("x-shard-version")) });
      }
    }
    const order = [...acknowledged].sort((a, b) => a.version - b.version).map((a) => a.k);
    expect(order.length).toBe(12);
    const pages = await createShard(paged(base));
    for (const k of order) await ok(push(pages, gradient(k)));
    await abortAllDurableObjects();
    expect(await residentBits(log)).toEqual(await residentBits(pages));
  });
});

describe("a crash inside a transaction of the log leaves the state of the commit before", () => {
  /** Runs `write` in the shard's store with a SQL handle that fails at statement `at`; answers whether it failed. */
  async function crashAt(name: string, at: number, write: (sql: SqlStorage, store: Awaited<ReturnType<typeof storeOf>>) => void): Promise<boolean> {
    return runInDurableObject(stubOf(name), async (instance: unknown) => {
      const store = await storeOf(instance);
      let statements = 0;
      const sql = store.sql;
      const faulty = {
        exec: (query: string, ...bindings: unknown[]) => {
          if (statements++ === at) throw new Error(`crash at statement ${at}`);
          return sql.exec(query, ...bindings);
        },
      } as unknown as SqlStorage;
      try {
        store.commit(() => write(faulty, store), "keep");
        return false;
      } catch (e) {
        expect(String(e)).toContain("crash at statement");
        return true;
      }
    });
  }

  it("at every statement of a materialization", async () => {
    const { log, pages } = await twins(base, { max_steps: 8 });
    await pushBoth({ log, pages }, 0, 3);
    const expected = await residentBits(pages);
    let at = 0;
    while (await crashAt(log, at, (sql, store) => materialize(sql, store.existing()))) {
      await abortAllDurableObjects();
      expect(await storedLog(log)).toMatchObject({ steps: 3 });
      expect(await residentBits(log), `crash at statement ${at}`).toEqual(expected);
      at += 1;
    }
    expect(at).toBeGreaterThan(3);
    expect(await storedLog(log)).toMatchObject({ steps: 0, pages: 0 });
    await abortAllDurableObjects();
    expect(await residentBits(log)).toEqual(expected);
  });

  it("at every statement of a step's write", async () => {
    const log = await createShard(logged(base, { max_steps: 8 }));
    const pages = await createShard(paged(base));
    await ok(push(log, gradient(0)));
    await ok(push(pages, gradient(0)));
    const expected = await residentBits(pages);
    const body = gradient(1).buffer as ArrayBuffer;
    let at = 0;
    const step = (sql: SqlStorage, store: Awaited<ReturnType<typeof storeOf>>) => {
      // A push as Pushes applies and writes it, through a failing handle.
      const resident = ruleResident(store.existing(), "a test");
      let captured: Captured | undefined;
      const summary = applyPush(resident, { gradient: body } as never, 1, (staged, nonFinite) => (captured = captureStep(resident.meta, staged, nonFinite, new Uint8Array(body))));
      writeSteps(sql, resident, [summary], [pushEntry(captured!, summary, undefined, 1)]);
      saveCounters(sql, resident.meta);
    };
    while (await crashAt(log, at, step)) {
      await abortAllDurableObjects();
      expect(await residentBits(log), `crash at statement ${at}`).toEqual(expected);
      at += 1;
    }
    expect(at).toBeGreaterThan(1);
    await ok(push(pages, gradient(1)));
    await abortAllDurableObjects();
    expect(await residentBits(log)).toEqual(await residentBits(pages));
  });
});

/** Every update rule, with what makes its state move (momentum, amsgrad, centered, ...). */
const HYPER: Partial<Record<RuleName, Record<string, unknown>>> = {
  sgd: { lr: 0.01, momentum: 0.9, nesterov: true, weight_decay: 0.01 },
  rmsprop: { lr: 0.01, momentum: 0.9, centered: true },
  adam: { lr: 0.01, amsgrad: true },
  asgd: { lr: 0.05, t0: 1 },
  rprop: { lr: 0.05 },
  lion: { lr: 0.01, weight_decay: 0.1 },
  normalized: { lr: 0.1, momentum: 0.9 },
};

describe.each(ruleNames.map((r) => [r]))("%s replays its log bit for bit", (rule) => {
  it("after a crash, equals a shard that wrote pages every step", async () => {
    const config = { length: LENGTH, rule, hyper: HYPER[rule] ?? {}, page_floats: 4096, rate_limit: null, averages: { ema: { kind: "ema", decay: 0.9 } } };
    const { log, pages } = await twins(config, { max_steps: 8 });
    await pushBoth({ log, pages }, 0, 4);
    expect(await storedLog(log)).toMatchObject({ steps: 4, bytes: 4 * LENGTH * 4 });
    await abortAllDurableObjects();
    expect(await residentBits(log)).toEqual(await residentBits(pages));
  });
});

describe("rounds mode logs the combined gradient of each round", () => {
  it("with noise and deltas, replays to the bits of a shard that wrote pages", async () => {
    const config = {
      ...base,
      averages: { ema: { kind: "ema", decay: 0.9 } },
      aggregation: { mode: "rounds", quorum: 2, deadline_ms: 60_000, reducer: "mean", input: "delta", clip_norm: 40, noise_multiplier: 0.5, noise_seed: 7 },
    };
    const log = await createShard(logged(config, { max_steps: 3 }));
    const pages = await createShard(paged(config));
    for (let round = 0; round < 4; round++) {
      for (const name of [log, pages]) {
        expect((await push(name, gradient(2 * round), { "x-client-id": "a" })).status).toBe(202);
        await ok(push(name, gradient(2 * round + 1), { "x-client-id": "b" }));
      }
      expect((await storedLog(log)).steps).toBe([1, 2, 3, 0][round]);
      await abortAllDurableObjects();
      expect(await residentBits(log), `after round ${round}`).toEqual(await residentBits(pages));
    }
  });
});

describe("the ring of places a log's gradients are written to", () => {
  const PAGES = Math.ceil(LENGTH / base.page_floats);
  const partial = (name: string, k: number) => push(name, gradient(k).subarray(100, 5000), {}, "?offset=100");

  it("is overwritten by later logs, a place leaving no page of the longer gradient it held before", async () => {
    const log = await createShard(logged(base, { max_steps: 2 }));
    const pages = await createShard(paged(base));
    // Places 0, 1; a materialization; places 0 (shorter now), 1 (longer now); a materialization; place 0.
    const sends = [(n: string) => push(n, gradient(0)), (n: string) => partial(n, 1), (n: string) => push(n, gradient(2)), (n: string) => partial(n, 3), (n: string) => push(n, gradient(4)), (n: string) => push(n, gradient(5)), (n: string) => push(n, gradient(6))];
    const ring = [PAGES, PAGES + 2, PAGES + 2, 2 + 2, 2 + PAGES, 2 + PAGES, PAGES + PAGES];
    const steps = [1, 2, 0, 1, 2, 0, 1];
    for (const [k, send] of sends.entries()) {
      await ok(send(log));
      await ok(send(pages));
      expect(await storedLog(log), `after push ${k}`).toMatchObject({ steps: steps[k], ring: ring[k] });
      await abortAllDurableObjects();
      expect(await residentBits(log), `after push ${k}`).toEqual(await residentBits(pages));
    }
  });

  it("is freed by the alarm of a shard idle for LOG_RING_IDLE_MS, and written again by its next log", async () => {
    const { log, pages } = await twins(base, { max_steps: 8 });
    await pushBoth({ log, pages }, 0, 3);
    // Not idle: the alarm materializes, keeps the ring and comes again.
    expect(await runDurableObjectAlarm(stubOf(log))).toBe(true);
    expect(await storedLog(log)).toEqual({ steps: 0, bytes: 0, pages: 0, ring: 3 * PAGES });
    expect(await runInDurableObject(stubOf(log), (_i: unknown, state: DurableObjectState) => state.storage.getAlarm())).not.toBeNull();
    // Idle (its last change LOG_RING_IDLE_MS ago), after a restart that reads the ring from storage.
    await abortAllDurableObjects();
    await runInDurableObject(stubOf(log), async (instance: unknown) => {
      (await storeOf(instance)).existing().meta.updatedAt -= LOG_RING_IDLE_MS;
    });
    expect(await runDurableObjectAlarm(stubOf(log))).toBe(true);
    expect(await storedLog(log)).toEqual({ steps: 0, bytes: 0, pages: 0, ring: 0 });
    expect(await runInDurableObject(stubOf(log), (_i: unknown, state: DurableObjectState) => state.storage.getAlarm())).toBeNull();
    await abortAllDurableObjects();
    expect(await residentBits(log)).toEqual(await residentBits(pages));
    await ok(push(log, gradient(3)));
    await ok(push(pages, gradient(3)));
    expect(await storedLog(log)).toEqual({ steps: 1, bytes: LENGTH * 4, pages: PAGES, ring: PAGES });
    await abortAllDurableObjects();
    expect(await residentBits(log)).toEqual(await residentBits(pages));
  });

  it("a log written before the ring (pages under log:<version>) replays, goes on, and its pages go at the materialization", async () => {
    const { log, pages } = await twins(base, { max_steps: 8 });
    await pushBoth({ log, pages }, 0, 3);
    // The log as the release before the ring stored it: each step's pages under its version, no place in its record.
    await runInDurableObject(stubOf(log), (_instance: unknown, state: DurableObjectState) => {
      const { sql } = state.storage;
      for (const { version, position } of sql.exec<{ version: number; position: number }>("SELECT version, record ->> 'position' AS position FROM gradient_log").toArray()) {
        sql.exec("UPDATE pages SET slot = ? WHERE slot = ?", `log:${version}`, `log:@${position}`);
      }
      sql.exec("UPDATE gradient_log SET record = json_remove(record, '$.position')");
    });
    await abortAllDurableObjects();
    expect(await storedLog(log)).toMatchObject({ steps: 3, pages: 3 * PAGES, ring: 3 * PAGES });
    expect(await residentBits(log)).toEqual(await residentBits(pages));
    await pushBoth({ log, pages }, 3, 5);
    expect(await storedLog(log)).toMatchObject({ steps: 5, pages: 5 * PAGES, ring: 5 * PAGES });
    await abortAllDurableObjects();
    expect(await residentBits(log)).toEqual(await residentBits(pages));
    expect(await runDurableObjectAlarm(stubOf(log))).toBe(true);
    // The two places of the ring stay; the steps stored by version are gone.
    expect(await storedLog(log)).toEqual({ steps: 0, bytes: 0, pages: 0, ring: 2 * PAGES });
    const byVersion = await runInDurableObject(stubOf(log), (_i: unknown, state: DurableObjectState) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM pages WHERE slot GLOB 'log:[0-9]*'").one().n);
    expect(byVersion).toBe(0);
    expect(await residentBits(log)).toEqual(await residentBits(pages));
  });
});

describe("materializations", () => {
  it("the alarm writes the state pages and empties the log", async () => {
    const { log, pages } = await twins(base, { max_steps: 8 });
    await pushBoth({ log, pages }, 0, 3);
    expect(await runDurableObjectAlarm(stubOf(log))).toBe(true);
    // Three places of the ring, five pages each, stay to be overwritten.
    expect(await storedLog(log)).toEqual({ steps: 0, bytes: 0, pages: 0, ring: 3 * 5 });
    for (const slot of ["weights", "slot:exp_avg", "slot:exp_avg_sq", "slot:max_exp_avg_sq", "avg:ema", "avg:swa"]) {
      expect(Array.from(await storedVector(log, slot)), slot).toEqual(Array.from(await storedVector(pages, slot)));
    }
  });

  it("a checkpoint and a PATCH write the state pages first; a metric keeps the log", async () => {
    const config = { ...base, schedule: { type: "plateau", patience: 0 } };
    const log = await createShard(logged(config, { max_steps: 8 }));
    const pages = await createShard(paged(config));
    const both = async (f: (name: string) => Promise<Response>, status = 200) => {
      for (const name of [log, pages]) expect((await f(name)).status).toBe(status);
    };
    await both((n) => push(n, gradient(0)));
    await both((n) => call(`/v1/shards/${n}/metrics`, { method: "POST", json: { value: 1 } }));
    await both((n) => push(n, gradient(1)));
    await both((n) => call(`/v1/shards/${n}/metrics`, { method: "POST", json: { value: 2 } }));
    expect((await storedLog(log)).steps).toBe(2);
    await both((n) => call(`/v1/shards/${n}/checkpoints`, { method: "POST" }), 201);
    expect((await storedLog(log)).steps).toBe(0);
    expect(Array.from(await storedVector(log, "ckpt:1:weights"))).toEqual(Array.from(await storedVector(pages, "ckpt:1:weights")));
    await both((n) => push(n, gradient(2)));
    await both((n) => call(`/v1/shards/${n}`, { method: "PATCH", json: { hyper: { lr: 0.002 } } }));
    expect((await storedLog(log)).steps).toBe(0);
    await both((n) => push(n, gradient(3)));
    await abortAllDurableObjects();
    expect(await residentBits(log)).toEqual(await residentBits(pages));
  });

  it("a shard shorter than LOG_MIN_LENGTH writes its pages at every step", async () => {
    const small = await createShard({ ...base, length: LOG_MIN_LENGTH - 1 });
    await ok(push(small, gradient(0, LOG_MIN_LENGTH - 1)));
    expect(await storedLog(small)).toEqual({ steps: 0, bytes: 0, pages: 0, ring: 0 });
  });
});

describe("the bound", () => {
  it("is refused past its limits, naming the field", async () => {
    for (const [field, value] of [["max_steps", MAX_LOG_STEPS + 1], ["max_bytes", MAX_LOG_BYTES + 1], ["max_steps", -1]] as const) {
      const res = await call(`/v1/shards/bound-${field}-${value}`, { method: "PUT", json: { ...base, gradient_log: { [field]: value } } });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { detail: string }).detail).toContain(`gradient_log.${field}`);
    }
  });
});

describe("a shard created before the log", () => {
  it("opens with the default bound and keeps working", async () => {
    const name = await createShard(base);
    await ok(push(name, gradient(0)));
    // Its stored configuration as it was written before the field existed.
    await runInDurableObject(stubOf(name), (_instance: unknown, state: DurableObjectState) => {
      for (const column of ["config", "created_config"]) {
        const { [column]: json } = state.storage.sql.exec<Record<string, string>>(`SELECT ${column} FROM shard`).one();
        const { gradient_log: _, ...old } = JSON.parse(json!) as Record<string, unknown>;
        state.storage.sql.exec(`UPDATE shard SET ${column} = ?`, JSON.stringify(old));
      }
    });
    await abortAllDurableObjects();
    const info = await call(`/v1/shards/${name}`);
    expect(await info.json()).toMatchObject({ version: 1, config: { gradient_log: { max_steps: 16, max_bytes: 64 * 1024 * 1024 } } });
    await ok(push(name, gradient(1)));
    expect((await call(`/v1/shards/${name}`, { method: "PUT", json: base })).status).toBe(200);
  });
});
