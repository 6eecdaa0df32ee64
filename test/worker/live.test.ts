import { describe, expect, it } from "vitest";
import { call, createShard, floatsOf } from "./support/api";
import { openLive, upgrade } from "./support/live";

const adam = (length: number) => ({ length, rule: "adam", hyper: { lr: 0.1 }, init: { kind: "zeros" } });

describe("live sessions: push and answer", () => {
  it("welcomes, answers a push once durable, and the weights agree with HTTP", async () => {
    const shard = await createShard(adam(4));
    const { client, welcome } = await openLive(shard);
    expect(welcome.header).toMatchObject({ shard, version: 0, revision: 0, length: 4, mode: "async", subject: "test", client_id: "test", expires_at: null });
    client.send("push", { key: "k1", answer: "weights" }, [1, -1, 2, 0]);
    const answer = await client.expect("answer");
    expect(answer.header).toMatchObject({ key: "k1", version: 1, applied: true, replayed: false, payload: "weights", offset: 0, count: 4 });
    const http = await floatsOf(await call(`/v1/shards/${shard}/weights`));
    expect([...answer.payload]).toEqual([...http]);
    expect(http[0]).toBeCloseTo(-0.1, 6);
    client.close();
  });

  it("refuses an upgrade without Upgrade: websocket (426)", async () => {
    const shard = await createShard(adam(2));
    const res = await call(`/v1/shards/${shard}/live`);
    expect(res.status).toBe(426);
    expect(await res.json()).toMatchObject({ type: "/problems/upgrade-required" });
  });

  it("refuses a session on a shard that does not exist (404)", async () => {
    const res = await upgrade("no-such-shard-live");
    expect(res.status).toBe(404);
  });
});
