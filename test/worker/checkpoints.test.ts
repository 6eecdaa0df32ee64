import { env } from "cloudflare:workers";
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_CHECKPOINTS } from "../../src/limits";
import { call, createShard, floatsOf, push, type CallOptions } from "./support/api";
import { storedState, storedVector } from "./support/snapshot";

const LENGTH = 10;
const gradient = (k: number) => Array.from({ length: LENGTH }, (_, i) => Math.sin(5 * k + i) * (1 + (i % 3)) * 1.37);
const sgd = { length: LENGTH, rule: "sgd", hyper: { lr: 1 }, page_floats: 4, rate_limit: null };
const adam = {
  length: LENGTH,
  rule: "adam",
  hyper: { lr: 0.05 },
  schedule: { type: "step", step_size: 2, gamma: 0.5 },
  page_floats: 4,
  rate_limit: null,
  averages: { ema: { kind: "ema", decay: 0.9 }, swa: { kind: "swa", start: 4 } },
};
const nadam = { length: LENGTH, rule: "nadam", hyper: { lr: 0.02 }, page_floats: 4, rate_limit: null, averages: { ema: { kind: "ema", decay: 0.5 } } };

const at = (name: string, rest = "") => `/v1/shards/${name}${rest}`;
const snapshot = (name: string, options: CallOptions = {}) => call(at(name, "/checkpoints"), { method: "POST", ...options });
const restore = (name: string, id: number, options: CallOptions = {}) => call(at(name, `/checkpoints/${id}/restore`), { method: "POST", ...options });
const jsonOf = async <T = Record<string, any>>(res: Response | Promise<Response>) => (await res).json<T>();
const floats = async (path: string) => Array.from(await floatsOf(await call(path)));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const bytes = async (res: Response) => Array.from(new Uint8Array(await res.arrayBuffer()));

async function snapshotOk(name: string, options: CallOptions = {}): Promise<Record<string, any>> {
  const res = await snapshot(name, options);
  if (res.status !== 201) throw new Error(`snapshot of ${name}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function pushOk(name: string, k: number): Promise<Response> {
  const res = await push(name, gradient(k));
  if (res.status !== 200) throw new Error(`push ${k} to ${name}: ${res.status} ${await res.text()}`);
  return res;
}

/** The stored pages of the live state, or of a checkpoint under the live slots' names, each as its SHA-256. */
async function storedPages(name: string, checkpoint?: number): Promise<string[]> {
  const prefix = checkpoint === undefined ? "" : `ckpt:${checkpoint}:`;
  const rows = await inObject(name, (sql) =>
    sql
      .exec<{ slot: string; page: number; data: ArrayBuffer }>("SELECT slot, page, data FROM pages ORDER BY slot, page")
      .toArray()
      .filter((r) => (prefix === "" ? !r.slot.startsWith("ckpt:") : r.slot.startsWith(prefix))),
  );
  return Promise.all(
    rows.map(async (r) => `${r.slot.slice(prefix.length)}:${r.page}:${Buffer.from(await crypto.subtle.digest("SHA-256", r.data)).toString("hex")}`),
  );
}

function inObject<T>(name: string, read: (sql: SqlStorage) => T): Promise<T> {
  return runInDurableObject(env.SHARDS.get(env.SHARDS.idFromName(name)), (_instance: unknown, state: DurableObjectState) => read(state.storage.sql));
}

interface Crash {
  /** The storage events of the object since the crash was armed. */
  readonly events: number;
  readonly fired: boolean;
  /** Lets the object go on without a crash (its storage events are no longer counted). */
  disarm(): void;
}

/**
 * Arms a crash in the shard's object at its `at`-th storage event from now (Infinity: never; the
 * events are only counted). A storage event is each SQL statement, just before it runs, and each
 * transaction, just after it commits. At that event the object throws instead: a transaction under
 * way rolls back, as SQLite's does in a crash, and the request fails unanswered; the caller then
 * aborts every object, which drops what they held in memory. Crashes land at a given point of the
 * object's work, not after a given time: what they hit does not depend on the machine's speed.
 */
async function armCrash(name: string, at: number): Promise<Crash> {
  let events = 0;
  let fired = false;
  let armed = true;
  const event = () => {
    if (!armed) return;
    events += 1;
    if (events < at) return;
    armed = false;
    fired = true;
    throw new Error(`a crash at storage event ${at}`);
  };
  await runInDurableObject(env.SHARDS.get(env.SHARDS.idFromName(name)), (_instance: unknown, state: DurableObjectState) => {
    const { storage } = state;
    const { sql } = storage;
    const exec = sql.exec.bind(sql);
    const transactionSync = storage.transactionSync.bind(storage);
    sql.exec = ((query: string, ...bindings: unknown[]) => {
      event();
      return exec(query, ...bindings);
    }) as typeof sql.exec;
    storage.transactionSync = <T>(closure: () => T): T => {
      const result = transactionSync(closure);
      event();
      return result;
    };
  });
  return {
    get events() {
      return events;
    },
    get fired() {
      return fired;
    },
    disarm: () => void (armed = false),
  };
}

/** The mean of vectors as the ensemble defines it: summed in float64 in order, rounded to float32 once. */
const meanOf = (vectors: number[][]) => vectors[0]!.map((_, i) => Math.fround(vectors.reduce((s, v) => s + v[i]!, 0) / vectors.length));

describe("checkpoints: snapshot, list, read, delete", () => {
  it("snapshots the weights, every optimizer slot and every average at the current version", async () => {
    const name = await createShard(adam);
    await pushOk(name, 0);
    await pushOk(name, 1);
    const weights = await floats(at(name, "/weights"));
    const res = await snapshot(name, { json: { label: "warm" } });
    expect(res.status).toBe(201);
    const checkpoint = await res.json<Record<string, any>>();
    // adam keeps exp_avg and exp_avg_sq; two averages: 4 × 10 × (1 + 2 + 2) bytes.
    expect(checkpoint).toMatchObject({ id: 1, label: "warm", version: 2, step: 2, revision: 2, bytes: 200 });
    expect(res.headers.get("location")).toBe(at(name, "/checkpoints/1"));
    for (const slot of ["weights", "slot:exp_avg", "slot:exp_avg_sq", "avg:ema", "avg:swa"]) {
      expect(Array.from(await storedVector(name, `ckpt:1:${slot}`)), slot).toEqual(Array.from(await storedVector(name, slot)));
    }
    const stored = await inObject(name, (sql) => sql.exec<{ n: number }>("SELECT SUM(LENGTH(data)) AS n FROM pages WHERE slot LIKE 'ckpt:1:%'").one().n);
    expect(stored).toBe(checkpoint.bytes);

    await pushOk(name, 2);
    expect(await jsonOf(call(at(name, "/checkpoints")))).toEqual({ checkpoints: [checkpoint] });
    expect(await jsonOf(call(at(name, "/checkpoints/1")))).toEqual(checkpoint);
    const read = await call(at(name, "/checkpoints/1/weights"));
    expect(read.headers.get("content-type")).toBe("application/octet-stream");
    expect(read.headers.get("etag")).toBe('"2"');
    expect(read.headers.get("x-shard-version")).toBe("2");
    expect(Array.from(await floatsOf(read))).toEqual(weights);
    const range = await call(at(name, "/checkpoints/1/weights?offset=3&length=6"));
    expect(range.headers.get("x-offset")).toBe("3");
    expect(Array.from(await floatsOf(range))).toEqual(weights.slice(3, 9));
    expect(await jsonOf(call(at(name, "/checkpoints/1/weights?offset=8"), { headers: { accept: "application/json" } }))).toEqual({
      version: 2,
      revision: 2,
      offset: 8,
      values: weights.slice(8),
    });
    expect(await jsonOf(snapshot(name))).toMatchObject({ id: 2, label: null, version: 3, step: 3 });
  });

  it("deletes a checkpoint and its pages; ids are never reused", async () => {
    const name = await createShard(sgd);
    await snapshotOk(name);
    await pushOk(name, 0);
    await snapshotOk(name);
    expect((await call(at(name, "/checkpoints/2"), { method: "DELETE" })).status).toBe(204);
    expect((await call(at(name, "/checkpoints/2"))).status).toBe(404);
    expect((await jsonOf(call(at(name, "/checkpoints")))).checkpoints.map((c: { id: number }) => c.id)).toEqual([1]);
    expect((await storedState(name)).includes("page:ckpt:2:")).toBe(false);
    expect((await snapshotOk(name)).id).toBe(3);
  });

  it("deletes the checkpoints with the shard they belong to", async () => {
    const name = await createShard(sgd);
    await snapshotOk(name);
    expect((await call(at(name, "?replace=true"), { method: "PUT", json: { ...sgd, hyper: { lr: 0.5 } } })).status).toBe(201);
    expect(await jsonOf(call(at(name, "/checkpoints")))).toEqual({ checkpoints: [] });
    expect((await storedState(name)).includes("ckpt:")).toBe(false);
  });

  it("answers a retry with the same Idempotency-Key with the first checkpoint, taking no other", async () => {
    const name = await createShard(sgd);
    const key = { "idempotency-key": "nightly-1" };
    const first = await snapshotOk(name, { json: { label: "nightly" }, headers: key });
    await pushOk(name, 0);
    const retry = await snapshot(name, { json: { label: "nightly" }, headers: key });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.headers.get("location")).toBe(`/v1/shards/${name}/checkpoints/${first.id}`);
    expect(await retry.json()).toEqual(first);
    const before = await storedState(name);
    const reused = await snapshot(name, { json: { label: "other" }, headers: key });
    expect(reused.status).toBe(422);
    expect(await reused.json()).toMatchObject({ type: "/problems/idempotency-key-reused" });
    expect(await storedState(name)).toBe(before);
  });
});

describe("checkpoints: restore", () => {
  it.each([
    ["adam with a step schedule, an EMA and an SWA", adam],
    ["nadam (a scalar state) with an EMA", nadam],
  ])("after a restore, %s continues with the bits that followed the checkpoint", async (_label, config) => {
    const name = await createShard(config);
    await pushOk(name, 0);
    await pushOk(name, 1);
    await snapshotOk(name);
    const after: { weights: number[]; lr: string | null; state: string[] }[] = [];
    for (const k of [2, 3]) {
      const res = await pushOk(name, k);
      after.push({ lr: res.headers.get("x-learning-rate"), weights: await bytes(res), state: await storedPages(name) });
    }
    // Live changes after the checkpoint are undone by the restore.
    expect((await call(at(name), { method: "PATCH", json: { hyper: { lr: 0.5 } } })).status).toBe(200);
    await pushOk(name, 4);

    const res = await restore(name, 1);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ version: 6, step: 2, revision: 6, config: { hyper: config.hyper } });
    for (const [j, k] of [2, 3].entries()) {
      const again = await pushOk(name, k);
      expect(again.headers.get("x-shard-version")).toBe(String(7 + j));
      expect(again.headers.get("x-learning-rate")).toBe(after[j]!.lr);
      expect(await bytes(again)).toEqual(after[j]!.weights);
      expect(await storedPages(name)).toEqual(after[j]!.state);
    }
    expect(await jsonOf(call(at(name)))).toMatchObject({ version: 8, step: 4 });
  });

  it("is a new version: the ETag changes, the history records it, and every checkpoint stays restorable", async () => {
    const name = await createShard(sgd);
    await pushOk(name, 0);
    const first = await floats(at(name, "/weights"));
    await snapshotOk(name);
    await pushOk(name, 1);
    const second = await floats(at(name, "/weights"));
    await snapshotOk(name);
    await pushOk(name, 2);
    const etag = (await call(at(name, "/weights"))).headers.get("etag")!;
    expect(etag).toBe('"3"');

    const poll = call(at(name, "/weights"), { headers: { "if-none-match": etag, prefer: "wait=10" } });
    await sleep(50);
    expect(await jsonOf(restore(name, 1))).toMatchObject({ version: 4, step: 1, revision: 4 });
    const changed = await poll;
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).toBe('"4"');
    expect(Array.from(await floatsOf(changed))).toEqual(first);
    const history = await jsonOf<{ version: number; change: Record<string, unknown> }[]>(call(at(name, "/history")));
    expect(history.at(-1)).toMatchObject({ version: 4, change: { restored_checkpoint: 1, checkpoint_version: 1, step: 1, hyper: { lr: 1 } } });

    expect(await jsonOf(restore(name, 2))).toMatchObject({ version: 5, step: 2, revision: 5 });
    expect(await floats(at(name, "/weights"))).toEqual(second);
    expect((await jsonOf(call(at(name, "/checkpoints")))).checkpoints.map((c: { id: number }) => c.id)).toEqual([1, 2]);
    expect((await jsonOf(call(at(name, "/history")))).map((h: { version: number }) => h.version)).toEqual([4, 5]);
  });

  it("in rounds mode, is refused while the open round has pushes; snapshots leave the round alone", async () => {
    const name = await createShard({ ...sgd, aggregation: { mode: "rounds", quorum: 2, deadline_ms: 60_000 } });
    const from = (client: string) => ({ "x-client-id": client });
    await push(name, gradient(0), from("a"));
    expect((await push(name, gradient(1), from("b"))).status).toBe(200);
    await snapshotOk(name);
    expect((await push(name, gradient(2), from("a"))).status).toBe(202);
    expect(await snapshotOk(name)).toMatchObject({ id: 2, version: 1 });
    expect((await jsonOf(call(at(name, "/status")))).round).toMatchObject({ number: 2, contributors: 1 });

    const before = await storedState(name);
    const refused = await restore(name, 1);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ type: "/problems/round-open", round: 2, contributors: 1 });
    expect(await storedState(name)).toBe(before);

    expect((await push(name, gradient(3), from("b"))).status).toBe(200);
    expect(await jsonOf(restore(name, 1))).toMatchObject({ version: 3, step: 1 });
    expect((await jsonOf(call(at(name, "/status")))).round).toMatchObject({ number: 4, contributors: 0 });
  });
});

describe("checkpoints: the ensemble", () => {
  it("serves the mean of chosen checkpoints and of the last k, summed in float64 and rounded once", async () => {
    const name = await createShard(sgd);
    const saved: number[][] = [];
    for (let k = 0; k < 4; k++) {
      await pushOk(name, k);
      await snapshotOk(name);
      saved.push(await floats(at(name, `/checkpoints/${k + 1}/weights`)));
    }
    const chosen = await call(at(name, "/ensemble?checkpoints=3,1"));
    expect(chosen.status).toBe(200);
    expect(chosen.headers.get("x-checkpoints")).toBe("1,3");
    expect(chosen.headers.get("etag")).toBe('"checkpoints:1,3"');
    expect(chosen.headers.get("x-shard-version")).toBe("3");
    const mean13 = meanOf([saved[0]!, saved[2]!]);
    expect(Array.from(await floatsOf(chosen))).toEqual(mean13);

    const last = await call(at(name, "/ensemble?last=3"));
    expect(last.headers.get("x-checkpoints")).toBe("2,3,4");
    const mean234 = meanOf(saved.slice(1));
    expect(Array.from(await floatsOf(last))).toEqual(mean234);
    const range = await call(at(name, "/ensemble?last=3&offset=3&length=6"));
    expect(range.headers.get("x-offset")).toBe("3");
    expect(Array.from(await floatsOf(range))).toEqual(mean234.slice(3, 9));
    const json = await jsonOf(call(at(name, "/ensemble?checkpoints=4&offset=7"), { headers: { accept: "application/json" } }));
    expect(json).toEqual({ version: 4, revision: 4, offset: 7, values: saved[3]!.slice(7) });
    const all = await call(at(name, `/ensemble?last=4`));
    expect(Array.from(await floatsOf(all))).toEqual(meanOf(saved));
    // These vectors tell the two apart: a float32 running sum would have answered otherwise.
    const float32Sum = saved[0]!.map((_, i) => Math.fround(saved.reduce((s, v) => Math.fround(s + v[i]!), 0) / saved.length));
    expect(float32Sum).not.toEqual(meanOf(saved));
  });
});

describe("checkpoints: refusals change nothing", () => {
  const refusals: [string, (name: string) => Promise<Response>, number, string][] = [
    ["a label over 128 characters", (n) => snapshot(n, { json: { label: "x".repeat(129) } }), 400, "invalid-request"],
    ["an unknown field", (n) => snapshot(n, { json: { name: "x" } }), 400, "invalid-request"],
    ["a body that is not JSON", (n) => snapshot(n, { body: "label", headers: { "content-type": "text/plain" } }), 415, "unsupported-media-type"],
    ["a snapshot with a read token", (n) => snapshot(n, { scopes: ["read"] }), 403, "forbidden"],
    ["a delete with a train token", (n) => call(at(n, "/checkpoints/1"), { method: "DELETE", scopes: ["train"] }), 403, "forbidden"],
    ["a restore with a train token", (n) => restore(n, 1, { scopes: ["train"] }), 403, "forbidden"],
    ["a listing without a token", (n) => call(at(n, "/checkpoints"), { auth: false }), 401, "unauthorized"],
    ["an unknown checkpoint", (n) => call(at(n, "/checkpoints/99")), 404, "not-found"],
    ["the weights of an unknown checkpoint", (n) => call(at(n, "/checkpoints/99/weights")), 404, "not-found"],
    ["a delete of an unknown checkpoint", (n) => call(at(n, "/checkpoints/99"), { method: "DELETE" }), 404, "not-found"],
    ["a restore of an unknown checkpoint", (n) => restore(n, 99), 404, "not-found"],
    ["an id that is not a number", (n) => call(at(n, "/checkpoints/first")), 400, "invalid-request"],
    ["id 0", (n) => restore(n, 0), 400, "invalid-request"],
    ["a range outside the shard", (n) => call(at(n, "/checkpoints/1/weights?offset=8&length=5")), 400, "invalid-range"],
    ["an ensemble of both ids and last", (n) => call(at(n, "/ensemble?checkpoints=1&last=1")), 400, "invalid-request"],
    ["an ensemble of nothing", (n) => call(at(n, "/ensemble")), 400, "invalid-request"],
    ["an ensemble naming a checkpoint twice", (n) => call(at(n, "/ensemble?checkpoints=1,2,1")), 400, "invalid-request"],
    ["an ensemble of malformed ids", (n) => call(at(n, "/ensemble?checkpoints=1;2")), 400, "invalid-request"],
    ["an ensemble of an unknown checkpoint", (n) => call(at(n, "/ensemble?checkpoints=1,99")), 404, "not-found"],
    ["an ensemble of more checkpoints than there are", (n) => call(at(n, "/ensemble?last=3")), 409, "too-few-checkpoints"],
    ["an ensemble of more checkpoints than a shard keeps", (n) => call(at(n, `/ensemble?last=${MAX_CHECKPOINTS + 1}`)), 400, "invalid-request"],
    ["an ensemble in a format it does not have", (n) => call(at(n, "/ensemble?last=1"), { headers: { accept: "application/xml" } }), 406, "not-acceptable"],
  ];

  it.each(refusals)("refuses %s", async (_label, request, status, type) => {
    const name = await createShard(sgd);
    await pushOk(name, 0);
    await snapshotOk(name);
    await pushOk(name, 1);
    await snapshotOk(name);
    const before = await storedState(name);
    const res = await request(name);
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({ type: `/problems/${type}` });
    expect(await storedState(name)).toBe(before);
  });

  it("refuses checkpoints of a shard that does not exist", async () => {
    const res = await snapshot(`none-${Date.now()}`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ type: "/problems/not-found" });
  });

  it(`keeps at most ${MAX_CHECKPOINTS} checkpoints per shard`, async () => {
    const name = await createShard({ ...sgd, length: 2 });
    for (let k = 0; k < MAX_CHECKPOINTS; k++) await snapshotOk(name);
    const before = await storedState(name);
    const refused = await snapshot(name);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ type: "/problems/too-many-checkpoints", limit: MAX_CHECKPOINTS });
    expect(await storedState(name)).toBe(before);
    expect((await call(at(name, "/checkpoints/5"), { method: "DELETE" })).status).toBe(204);
    expect((await snapshotOk(name)).id).toBe(MAX_CHECKPOINTS + 1);
  });
});

describe("checkpoints: crashes", () => {
  // A round per crash point, each restarting the objects: seconds on an idle machine, many more on a loaded one. Nothing is timed.
  it("keeps each checkpoint whole or not at all across crashes; retries take each once", async () => {
    const name = await createShard(adam);
    const clean = await createShard(adam);
    // The live pages at each version, from a shard that never crashed.
    const liveAt: string[][] = [];
    const advance = async (): Promise<number> => {
      const k = liveAt.length;
      await pushOk(name, k);
      await pushOk(clean, k);
      liveAt.push(await storedPages(clean));
      return k + 1;
    };

    // Every storage event of a snapshot is a crash point: count them on one taken without a crash.
    await advance();
    const counting = await armCrash(name, Infinity);
    await snapshotOk(name, { headers: { "idempotency-key": "counted" } });
    counting.disarm();
    const events = counting.events;
    expect(events).toBeGreaterThan(2);
    // A round takes three checkpoints; they must fit in the shard with the counted one.
    const most = Math.floor((MAX_CHECKPOINTS - 1) / 3);
    const points = events <= most ? Array.from({ length: events }, (_, i) => i + 1) : Array.from({ length: most }, (_, i) => 1 + Math.round((i * (events - 1)) / (most - 1)));

    let lost = 0;
    for (const at of points) {
      const version = await advance();
      const crash = await armCrash(name, at);
      // Three snapshots in flight; the first the object runs reaches its at-th storage event and crashes there. Then every
      // object is aborted, and clients retry what was not answered, with their keys.
      const requests = [0, 1, 2].map((j) => ({ headers: { "idempotency-key": `snap-${at}-${j}` } }));
      const answers = await Promise.all(requests.map((options) => snapshot(name, options).catch(() => null)));
      await abortAllDurableObjects();
      expect(crash.fired, `the crash at storage event ${at}`).toBe(true);
      lost += answers.filter((res) => res?.status !== 201).length;
      for (const [j, options] of requests.entries()) {
        let res = answers[j] ?? null;
        for (let attempt = 0; !res || res.status >= 300; attempt++) {
          if (attempt === 5) throw new Error(`snapshot ${j} after the crash at event ${at}: ${res ? `${res.status} ${await res.text()}` : "no answer"}`);
          res = await snapshot(name, options).catch(() => null);
        }
        expect(await res.json(), `snapshot ${j} after the crash at event ${at}`).toMatchObject({ version });
      }
    }
    // The crashed request was never answered as taken.
    expect(lost).toBeGreaterThanOrEqual(points.length);

    const { checkpoints } = await jsonOf<{ checkpoints: { id: number; version: number }[] }>(call(at(name, "/checkpoints")));
    expect(checkpoints.map((c) => c.version)).toEqual([1, ...points.flatMap((_, i) => [i + 2, i + 2, i + 2])]);
    for (const { id, version } of checkpoints) expect(await storedPages(name, id), `checkpoint ${id}`).toEqual(liveAt[version - 1]);
    // No page is left of a checkpoint that was not taken.
    const pagesOf = await inObject(name, (sql) =>
      sql
        .exec<{ slot: string }>("SELECT DISTINCT slot FROM pages WHERE slot LIKE 'ckpt:%'")
        .toArray()
        .map((r) => Number(r.slot.split(":")[1])),
    );
    expect([...new Set(pagesOf)].sort((a, b) => a - b)).toEqual(checkpoints.map((c) => c.id));
    expect(await storedPages(name)).toEqual(liveAt.at(-1));

    // A crash right after a restore: the rebuilt shard continues from the checkpoint.
    expect((await restore(name, checkpoints.find((c) => c.version === 2)!.id)).status).toBe(200);
    await abortAllDurableObjects();
    await pushOk(name, 2);
    expect(await storedPages(name)).toEqual(liveAt[2]);
  }, 180_000);
});
