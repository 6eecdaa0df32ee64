import { abortAllDurableObjects } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, createShard, floatsOf, push } from "./support/api";
import { openLive } from "./support/live";

const config = { length: 3, rule: "adam", hyper: { lr: 0.1 }, init: { kind: "zeros" }, rate_limit: null };
const versionOf = async (shard: string) => ((await (await call(`/v1/shards/${shard}`)).json()) as { version: number }).version;

describe("live sessions: exactly once", () => {
  it("applies a key sent on two sockets at once once: one answer applied, the other replayed", async () => {
    const shard = await createShard(config);
    const a = (await openLive(shard)).client;
    const b = (await openLive(shard)).client;
    a.send("push", { key: "same", answer: "weights" }, [1, 2, 3]);
    b.send("push", { key: "same", answer: "weights" }, [1, 2, 3]);
    const [first, second] = [(await a.expect("answer")).header, (await b.expect("answer")).header];
    expect([first.replayed, second.replayed].sort()).toEqual([false, true]);
    expect(first.version).toBe(1);
    expect(second.version).toBe(1);
    expect(await versionOf(shard)).toBe(1);
    a.close();
    b.close();
  });

  it("replays over a socket a key first pushed over HTTP, and over HTTP a key pushed over a socket", async () => {
    const shard = await createShard(config);
    const http = await push(shard, [1, 1, 1], { "idempotency-key": "h1" });
    expect(http.status).toBe(200);
    const { client } = await openLive(shard);
    client.send("push", { key: "h1" }, [1, 1, 1]);
    expect((await client.expect("answer")).header).toMatchObject({ key: "h1", version: 1, replayed: true });
    client.send("push", { key: "s1" }, [2, 2, 2]);
    expect((await client.expect("answer")).header).toMatchObject({ key: "s1", version: 2, replayed: false });
    const again = await push(shard, [2, 2, 2], { "idempotency-key": "s1" });
    expect(again.headers.get("x-push-version")).toBe("2");
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    // The same key with another gradient is refused, as over HTTP.
    client.send("push", { key: "s1" }, [9, 9, 9]);
    expect((await client.expect("problem")).header).toMatchObject({ key: "s1", problem: { type: "/problems/idempotency-key-reused" } });
    expect(await versionOf(shard)).toBe(2);
    client.close();
  });

  it("resends after a reconnect apply nothing twice", async () => {
    const shard = await createShard(config);
    const first = (await openLive(shard)).client;
    for (const key of ["r1", "r2", "r3"]) first.send("push", { key }, [1, 0, -1]);
    for (let i = 0; i < 3; i++) await first.expect("answer");
    first.close();
    // The client did not see the answers (say): it reconnects and resends every key, and one new.
    const second = (await openLive(shard)).client;
    for (const key of ["r1", "r2", "r3", "r4"]) second.send("push", { key }, [1, 0, -1]);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await second.expect("answer")).header);
    expect(answers.map((a) => [a.key, a.version, a.replayed])).toEqual([
      ["r1", 1, true],
      ["r2", 2, true],
      ["r3", 3, true],
      ["r4", 4, false],
    ]);
    expect(await versionOf(shard)).toBe(4);
    second.close();
  });

  it("loses no acknowledged push when the object crashes in the middle of group commits", async () => {
    const shard = await createShard(config);
    const sockets = await Promise.all([openLive(shard), openLive(shard), openLive(shard)]);
    const acknowledged = new Map<string, number>();
    // Each socket pushes 8 keys at once; the object is aborted while groups are being applied and written.
    sockets.forEach(({ client }, s) => {
      for (let i = 0; i < 8; i++) client.send("push", { key: `c${s}-${i}` }, [0.5, -0.5, 1]);
    });
    for (let i = 0; i < 4; i++) {
      const answer = (await sockets[0]!.client.expect("answer")).header;
      acknowledged.set(answer.key as string, answer.version as number);
    }
    await abortAllDurableObjects();
    for (const { client } of sockets) {
      for (;;) {
        const got = await client.next();
        if ("close" in got) break;
        if ("frame" in got && got.frame.kind === "answer") acknowledged.set(got.frame.header.key as string, got.frame.header.version as number);
      }
    }
    // Every acknowledged push is there: its key replays with the version it was answered with.
    const stored = await versionOf(shard);
    expect(stored).toBeGreaterThanOrEqual(acknowledged.size);
    const { client } = await openLive(shard);
    for (const [key, version] of acknowledged) {
      client.send("push", { key }, [0.5, -0.5, 1]);
      expect((await client.expect("answer")).header).toMatchObject({ key, version, replayed: true });
    }
    // Resending every key makes the shard whole: each of the 24 applied once.
    for (let s = 0; s < 3; s++) for (let i = 0; i < 8; i++) if (!acknowledged.has(`c${s}-${i}`)) client.send("push", { key: `c${s}-${i}` }, [0.5, -0.5, 1]);
    for (let n = acknowledged.size; n < 24; n++) await client.expect("answer");
    expect(await versionOf(shard)).toBe(24);
    console.log(`crash: ${acknowledged.size} of 24 pushes acknowledged before the abort, ${stored} versions stored`);
    const weights = await floatsOf(await call(`/v1/shards/${shard}/weights`));
    expect(weights.every(Number.isFinite)).toBe(true);
    client.close();
  });
});
