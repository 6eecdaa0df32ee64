import { env } from "cloudflare:workers";
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createShard, push, token } from "./support/api";
import { storedState } from "./support/snapshot";
import { HEX } from "../../src/formats/hex";

/** The SHA-256 of the floats' bytes in hex: the gradient's part of a fingerprint stored before MurmurHash3. */
const sha256Hex = async (values: Float32Array): Promise<string> => Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", values)), (b) => HEX[b]).join("");

// An Idempotency-Key is scoped to its caller: the token's subject; the request it names includes its headers.
const as = async (sub: string, headers: Record<string, string> = {}, scopes: ("train" | "relay")[] = ["train"]) => ({ authorization: `Bearer ${await token(scopes, "", sub)}`, ...headers });
const summary = { prefer: "return=minimal" };
const storedKeys = (s: SqlStorage) => s.exec<{ key: string }>("SELECT value ->> 0 AS key FROM ledger, json_each(ledger.records) ORDER BY seq").toArray().map((r) => r.key);
const sql = <T>(name: string, run: (sql: SqlStorage) => T) =>
  runInDurableObject(env.SHARDS.get(env.SHARDS.idFromName(name)), (_instance: unknown, state: DurableObjectState) => run(state.storage.sql));

describe("Idempotency-Key: scoped to the token's subject", () => {
  it("does not replay one subject's outcome to another subject that sends the same key and body", async () => {
    const name = await createShard({ length: 2, rule: "sgd" });
    const first = await push(name, [1, 2], await as("alice", { "idempotency-key": "k", ...summary }));
    expect(await first.json()).toMatchObject({ version: 1, replayed: false });
    const other = await push(name, [1, 2], await as("bob", { "idempotency-key": "k", ...summary }));
    expect(other.headers.get("idempotent-replayed")).toBeNull();
    expect(await other.json()).toMatchObject({ version: 2, replayed: false });
    // Each retry replays its own caller's outcome.
    expect(await (await push(name, [1, 2], await as("alice", { "idempotency-key": "k", ...summary }))).json()).toMatchObject({ version: 1, replayed: true });
    expect(await (await push(name, [1, 2], await as("bob", { "idempotency-key": "k", ...summary }))).json()).toMatchObject({ version: 2, replayed: true });
  });

  it.each([
    ["another client of the relay", { "x-client-id": "phone-2" }, ""],
    ["another sample count", { "x-sample-count": "9" }, ""],
    ["another base version", { "x-base-version": "0" }, ""],
    ["another offset", {}, "?offset=0"],
  ])("refuses a key reused with %s (422), changing nothing", async (_what, headers, query) => {
    const name = await createShard({ length: 2, rule: "sgd" });
    const sent = { "idempotency-key": "same", "x-client-id": "phone-1", "x-sample-count": "4" };
    expect((await push(name, [1, 2], await as("gateway", sent, ["relay"]))).status).toBe(200);
    const before = await storedState(name);
    const res = await push(name, [1, 2], await as("gateway", { ...sent, ...headers }, ["relay"]), query);
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ type: "/problems/idempotency-key-reused", detail: expect.stringMatching(/^Idempotency-Key 'same' was used for a different request/) });
    expect(await storedState(name)).toBe(before);
    expect((await push(name, [1, 2], await as("gateway", sent, ["relay"]))).headers.get("idempotent-replayed")).toBe("true");
  });

  it("replays a retry before the rate limit: an applied push is never answered 429", async () => {
    const name = await createShard({ length: 2, rule: "sgd", rate_limit: { per_second: 0.01, burst: 1 } });
    expect((await push(name, [1, 1], await as("alice", { "idempotency-key": "r-1" }))).status).toBe(200);
    const retry = await push(name, [1, 1], await as("alice", { "idempotency-key": "r-1" }));
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect((await push(name, [1, 1], await as("alice", { "idempotency-key": "r-2" }))).status).toBe(429);
  });

  it("still replays records stored before keys were scoped (bare key, fingerprint of gradient, offset and base version)", async () => {
    const name = await createShard({ length: 2, rule: "sgd" });
    expect((await push(name, [1, 2], await as("alice", { "idempotency-key": "old" }))).status).toBe(200);
    // Make the record what the previous release stored: the key as sent, `<sha-256 hex>:<offset or ->:<base version or ->`.
    const hex = await sha256Hex(Float32Array.of(1, 2));
    const keys = await sql(name, (s) => {
      s.exec("UPDATE ledger SET records = json_replace(records, '$[0][0]', 'old', '$[0][1]', ?) WHERE records ->> '$[0][0]' = ?", `${hex}:-:-`, "alice\nold");
      return storedKeys(s);
    });
    expect(keys).toEqual(["old"]);
    await abortAllDurableObjects(); // the new release starts on stored records: its key index is made from them
    const before = await storedState(name);
    for (const sub of ["alice", "bob"]) {
      const retry = await push(name, [1, 2], await as(sub, { "idempotency-key": "old", ...summary }));
      expect(await retry.json(), sub).toMatchObject({ version: 1, replayed: true });
    }
    expect((await push(name, [2, 1], await as("alice", { "idempotency-key": "old" }))).status).toBe(422);
    expect(await storedState(name)).toBe(before);
  });

  it("still replays records whose fingerprint holds the gradient's SHA-256 (stored before it was MurmurHash3), and refuses another body under their key", async () => {
    const name = await createShard({ length: 2, rule: "sgd" });
    const sent = { "idempotency-key": "sha", "x-sample-count": "3" };
    expect((await push(name, [1, 2], await as("alice", sent))).status).toBe(200);
    const hex = await sha256Hex(Float32Array.of(1, 2));
    const stored = await sql(name, (s) => {
      s.exec("UPDATE ledger SET records = json_replace(records, '$[0][1]', ? || substr(records ->> '$[0][1]', 33)) WHERE records ->> '$[0][0]' = ?", hex, "alice\nsha");
      return s.exec<{ f: string }>("SELECT records ->> '$[0][1]' AS f FROM ledger").one().f;
    });
    expect(stored).toBe(`${hex}:-:-:3:alice/alice`);
    await abortAllDurableObjects();
    const before = await storedState(name);
    const retry = await push(name, [1, 2], await as("alice", { ...sent, ...summary }));
    expect(await retry.json()).toMatchObject({ version: 1, replayed: true });
    expect((await push(name, [2, 1], await as("alice", sent))).status).toBe(422);
    expect((await push(name, [1, 2], await as("alice", { ...sent, "x-sample-count": "4" }))).status).toBe(422);
    expect(await storedState(name)).toBe(before);
  });

  it("stores new records under the subject's scope", async () => {
    const name = await createShard({ length: 2, rule: "sgd" });
    await push(name, [1, 2], await as("zoë 🚀", { "idempotency-key": "k/1" }));
    expect(await sql(name, storedKeys)).toEqual(["zoë 🚀\nk/1"]);
  });
});
