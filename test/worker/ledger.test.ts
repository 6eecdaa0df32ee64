import { env } from "cloudflare:workers";
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LEDGER_CAPACITY } from "../../src/limits";
import { Ledger, type LedgerRecord } from "../../src/shard/pushes/ledger";
import type { PushSummary } from "../../src/shard/types";
import { createShard, push, token } from "./support/api";
import { storedState } from "./support/snapshot";

// The idempotency ledger's storage: one row per commit, the newest LEDGER_CAPACITY records kept, and shards that stored a row per record before.
const inShard = <T>(name: string, run: (sql: SqlStorage) => T) =>
  runInDurableObject(env.SHARDS.get(env.SHARDS.idFromName(name)), (_instance: unknown, state: DurableObjectState) => run(state.storage.sql));
const summaryOf = (version: number) => ({ version, revision: 0, lr: 0.1, applied: true, non_finite: 0, staleness: 0, staleness_scale: 1, offset: 0, count: 2 }) as PushSummary;
const recordOf = (i: number): LedgerRecord => ({ key: `test\nkey-${i}`, fingerprint: `f-${i}`, summary: summaryOf(i + 1), at: i });

describe("the ledger's rows", () => {
  it("keeps at least the newest LEDGER_CAPACITY records, drops whole rows older than them, and finds every key it keeps", async () => {
    const name = await createShard({ length: 2, rule: "sgd" });
    const batch = 7;
    const total = LEDGER_CAPACITY + 3 * batch * 100; // past the capacity, so rows are dropped and the key index is made again
    const found = await inShard(name, (sql) => {
      const ledger = new Ledger(sql);
      for (let first = 0; first < total; first += batch) ledger.record(Array.from({ length: Math.min(batch, total - first) }, (_, j) => recordOf(first + j)));
      const recalled = (i: number) => ledger.recall({ key: recordOf(i).key, fingerprint: recordOf(i).fingerprint })?.version;
      const fresh = new Ledger(sql); // as after a wake-up: its index made from the table
      return {
        held: sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM ledger, json_each(ledger.records)").one().n,
        rows: sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM ledger").one().n,
        newest: Array.from({ length: LEDGER_CAPACITY }, (_, k) => total - 1 - k).every((i) => recalled(i) === i + 1 && fresh.recall(recordOf(i))?.version === i + 1),
        oldest: [0, 1, total - LEDGER_CAPACITY - batch].map((i) => fresh.recall(recordOf(i))),
      };
    });
    expect(found.held).toBeGreaterThanOrEqual(LEDGER_CAPACITY);
    expect(found.held).toBeLessThan(LEDGER_CAPACITY + batch);
    expect(found.rows).toBe(Math.ceil(found.held / batch));
    expect(found.newest).toBe(true);
    expect(found.oldest).toEqual([undefined, undefined, undefined]);
  });

  it("refuses a kept key with another fingerprint", async () => {
    const name = await createShard({ length: 2, rule: "sgd" });
    const refused = await inShard(name, (sql) => {
      const ledger = new Ledger(sql);
      ledger.record([recordOf(1), recordOf(2)]);
      try {
        ledger.recall({ key: recordOf(2).key, fingerprint: "another" });
        return "recalled";
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(refused).toMatch(/Idempotency-Key 'key-2' was used for a different request/);
  });

  it("a shard that stored a row per record (before migration 0006) keeps replaying them after it", async () => {
    const name = await createShard({ length: 2, rule: "sgd" });
    const headers = async (key: string) => ({ authorization: `Bearer ${await token(["train"], "", "alice")}`, prefer: "return=minimal", "idempotency-key": key });
    for (const [i, key] of ["a", "b", "c"].entries()) expect(await (await push(name, [1, i], await headers(key))).json()).toMatchObject({ version: i + 1 });
    // Put the shard back as the release before stored it: the table `idempotency`, a row per record, and migration 0006 not applied.
    const before = await inShard(name, (sql) => {
      sql.exec("CREATE TABLE idempotency (key text PRIMARY KEY NOT NULL, fingerprint text NOT NULL, outcome text NOT NULL, at integer NOT NULL)");
      sql.exec("INSERT INTO idempotency SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM ledger, json_each(ledger.records) ORDER BY seq");
      sql.exec("DROP TABLE ledger");
      sql.exec("DELETE FROM __drizzle_migrations WHERE created_at = (SELECT MAX(created_at) FROM __drizzle_migrations)");
      return sql.exec<{ key: string }>("SELECT key FROM idempotency ORDER BY rowid").toArray().map((r) => r.key);
    });
    expect(before).toEqual(["alice\na", "alice\nb", "alice\nc"]);
    await abortAllDurableObjects(); // the next start migrates
    const stored = await storedState(name);
    expect(await inShard(name, (sql) => sql.exec<{ seq: number; key: string }>("SELECT seq, value ->> 0 AS key FROM ledger, json_each(ledger.records) ORDER BY seq").toArray())).toEqual([
      { seq: 1, key: "alice\na" },
      { seq: 2, key: "alice\nb" },
      { seq: 3, key: "alice\nc" },
    ]);
    for (const [i, key] of ["a", "b", "c"].entries()) expect(await (await push(name, [1, i], await headers(key))).json()).toMatchObject({ version: i + 1, replayed: true });
    expect(await storedState(name)).toBe(stored);
    expect(await (await push(name, [1, 3], await headers("d"))).json()).toMatchObject({ version: 4, replayed: false });
    expect(await inShard(name, (sql) => sql.exec<{ seq: number }>("SELECT seq FROM ledger ORDER BY seq").toArray().map((r) => r.seq))).toEqual([1, 2, 3, 4]);
  });
});
