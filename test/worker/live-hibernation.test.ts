import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createShard, floatsOf, push } from "./support/api";
import { openLive } from "./support/live";

const config = { length: 4, rule: "adam", hyper: { lr: 0.1 }, init: { kind: "zeros" }, rate_limit: null };
const stubOf = (shard: string) => env.SHARDS.get(env.SHARDS.idFromName(shard));

describe("live sessions: hibernation", () => {
  it("keeps sockets open while the object is evicted, answers pings without waking it, and wakes on a frame with its state and sessions intact", async () => {
    const shard = await createShard(config);
    const twin = await createShard(config);
    const subscriber = (await openLive(shard, { scopes: ["read"], sub: "watcher" })).client;
    subscriber.send("subscribe", { notify: "weights" });
    await subscriber.expect("notice");
    const { client } = await openLive(shard, { sub: "learner" });
    client.send("push", { key: "h1" }, [1, 2, 3, 4]);
    await client.expect("answer");
    await push(twin, [1, 2, 3, 4]);
    await subscriber.expect("notice");

    await evictDurableObject(stubOf(shard));
    // A ping is answered by the runtime: the object stays evicted (evicting it again finds nothing running).
    client.ws.send("ping");
    expect(await client.next()).toEqual({ text: "pong" });
    await expect(evictDurableObject(stubOf(shard))).rejects.toThrow(/Cannot evict Durable Object: it is no/);

    // The next frame wakes it: the session (subject, key scope, subscription) came back from the attachments, the state from its pages.
    client.send("push", { key: "h2", answer: "weights" }, [-1, 0.5, 2, 0]);
    const answer = await client.expect("answer");
    expect(answer.header).toMatchObject({ key: "h2", version: 2, replayed: false });
    const expected = await floatsOf(await push(twin, [-1, 0.5, 2, 0]));
    expect([...answer.payload]).toEqual([...expected]);
    const notice = await subscriber.expect<{ version: number; skipped: number }>("notice");
    expect(notice.header).toMatchObject({ version: 2, skipped: 0 });
    expect([...notice.payload]).toEqual([...expected]);
    // The ledger is storage: a resend of the key from before the eviction is a replay.
    client.send("push", { key: "h1" }, [1, 2, 3, 4]);
    expect((await client.expect("answer")).header).toMatchObject({ key: "h1", version: 1, replayed: true });
    const status = (await (await call(`/v1/shards/${shard}`)).json()) as { version: number };
    expect(status.version).toBe(2);
    client.close();
    subscriber.close();
  });

  it("loses a chunked push under way when the object is evicted: its next chunk is refused, and a fresh start applies", async () => {
    const shard = await createShard(config);
    const { client } = await openLive(shard);
    client.send("push", { key: "c", chunk: { index: 0, count: 2, length: 4 } }, [1, 1]);
    client.ws.send("ping");
    expect(await client.next()).toEqual({ text: "pong" });
    await evictDurableObject(stubOf(shard));
    client.send("push", { key: "c", chunk: { index: 1, count: 2, length: 4 } }, [1, 1]);
    expect((await client.expect<{ problem: { type: string; detail: string } }>("problem")).header.problem).toMatchObject({ type: "/problems/invalid-frame" });
    client.send("push", { key: "c", chunk: { index: 0, count: 2, length: 4 } }, [1, 1]);
    client.send("push", { key: "c", chunk: { index: 1, count: 2, length: 4 } }, [1, 1]);
    expect((await client.expect("answer")).header).toMatchObject({ key: "c", version: 1 });
    client.close();
  });
});
