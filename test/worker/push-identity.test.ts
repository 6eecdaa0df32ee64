import { describe, expect, it } from "vitest";
import { call, createShard, push, token } from "./support/api";
import { storedState } from "./support/snapshot";

// A push counts as its token's subject (src/edge/auth/contributor.ts); only a relay names its clients.
const as = async (sub: string, scopes: ("train" | "relay" | "admin")[] = ["train"], clientId?: string, headers: Record<string, string> = {}) => ({
  authorization: `Bearer ${await token(scopes, "", sub)}`,
  ...(clientId === undefined ? {} : { "x-client-id": clientId }),
  ...headers,
});

const vector = (k: number) => Array.from({ length: 4 }, (_, i) => Math.fround(Math.cos(k + 2 * i)));
const medianRounds = { length: 4, rule: "sgd", hyper: { lr: 1 }, rate_limit: null, aggregation: { mode: "rounds", quorum: 3, reducer: "median", deadline_ms: 60_000 } };
const statusOf = async (name: string) => (await call(`/v1/shards/${name}/status`)).json<{ version: number; round: { contributors: number } }>();

describe("the client of a push is its token's subject", () => {
  it("refuses an X-Client-Id other than the subject from a token without the relay scope, changing nothing", async () => {
    const name = await createShard({ length: 2, rule: "sgd" });
    const before = await storedState(name);
    const res = await push(name, [1, 1], await as("alice", ["train"], "bob"));
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="shardstep", error="insufficient_scope", scope="relay"');
    const body = await res.json<Record<string, unknown>>();
    expect(body).toMatchObject({ type: "/problems/forbidden", required_scope: "relay", sub: "alice", client_id: "bob" });
    expect(body.detail).toMatch(/pushes as its subject 'alice'; X-Client-Id 'bob' names another client, which only a token with the 'relay' scope may do/);
    expect(await storedState(name)).toBe(before);
    expect((await push(name, [1, 1], await as("alice", ["train"], "alice"))).status).toBe(200);
    expect((await push(name, [1, 1], await as("alice"))).status).toBe(200);
  });

  it("limits the rate per subject: one train token under twenty client ids gets no more than its burst", async () => {
    const name = await createShard({ length: 2, rule: "sgd", rate_limit: { per_second: 2, burst: 2 } });
    const statuses = [];
    for (let k = 0; k < 20; k++) statuses.push((await push(name, [1, 1], await as("mallory", ["train"], `device-${k}`))).status);
    expect(new Set(statuses)).toEqual(new Set([403]));
    expect((await push(name, [1, 1], await as("mallory"))).status).toBe(200);
    expect((await push(name, [1, 1], await as("mallory"))).status).toBe(200);
    const limited = await push(name, [1, 1], await as("mallory"));
    expect(limited.status).toBe(429);
    expect((await limited.json<{ detail: string }>()).detail).toMatch(/^client 'mallory' exceeds 2 pushes per second/);
    // Another subject has its own bucket.
    expect((await push(name, [1, 1], await as("trent"))).status).toBe(200);
  });

  it("lets a relay speak for its clients, each with its own bucket under the relay's subject", async () => {
    const name = await createShard({ length: 2, rule: "sgd", rate_limit: { per_second: 0.5, burst: 1 } });
    expect((await push(name, [1, 1], await as("gateway", ["relay"], "phone-1"))).status).toBe(200);
    expect((await push(name, [1, 1], await as("gateway", ["relay"], "phone-1"))).status).toBe(429);
    expect((await push(name, [1, 1], await as("gateway", ["relay"], "phone-2"))).status).toBe(200);
    expect((await push(name, [1, 1], await as("gateway", ["relay"]))).status).toBe(200);
    // The relay's client 'alice' is not the token whose subject is alice.
    expect((await push(name, [1, 1], await as("gateway", ["relay"], "alice"))).status).toBe(200);
    expect((await push(name, [1, 1], await as("alice"))).status).toBe(200);
  });
});

describe("rounds: one contribution per client, with this identity", () => {
  it("does not let one train token close a median round posing as several clients", async () => {
    const name = await createShard(medianRounds);
    for (let j = 0; j < 5; j++) expect((await push(name, vector(j), await as("mallory", ["train"], `client-${j}`))).status).toBe(403);
    expect((await push(name, vector(0), await as("mallory"))).status).toBe(202);
    const again = await push(name, vector(1), await as("mallory"));
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ type: "/problems/already-contributed" });
    expect(await statusOf(name)).toMatchObject({ version: 0, round: { contributors: 1 } });
  });

  it("counts each subject once without X-Client-Id, and a relay's clients each once", async () => {
    const name = await createShard(medianRounds);
    expect((await push(name, vector(0), await as("alice"))).status).toBe(202);
    expect((await push(name, vector(1), await as("gateway", ["relay"], "alice"))).status).toBe(202);
    expect((await push(name, vector(2), await as("gateway", ["relay"], "alice"))).status).toBe(409);
    const closing = await push(name, vector(3), await as("gateway", ["relay"], "bob"));
    expect(closing.status).toBe(200);
    expect(closing.headers.get("x-shard-version")).toBe("1");
  });
});
