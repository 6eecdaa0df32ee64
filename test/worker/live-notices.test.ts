import { describe, expect, it } from "vitest";
import { encodeFrame, LiveCloseCode, type Frame } from "../../src/formats/live-frames";
import { LIVE_CHUNK_FLOATS, LIVE_MAX_UNSENT_BYTES } from "../../src/limits";
import { call, createShard, floatsOf, push } from "./support/api";
import { openLive, type LiveClient } from "./support/live";

const config = { length: 3, rule: "sgd", hyper: { lr: 0.5 }, init: { kind: "zeros" }, rate_limit: null };
type Notice = { version: number; revision: number; skipped: number; weights: boolean };
const versionOf = async (shard: string) => ((await (await call(`/v1/shards/${shard}`)).json()) as { version: number }).version;

/** Notices until one of `version`; each version since the first accounted for, once, in order. */
async function noticesUntil(client: LiveClient, version: number): Promise<Frame<Notice>[]> {
  const notices: Frame<Notice>[] = [];
  while (notices.at(-1)?.header.version !== version) notices.push(await client.expect<Notice>("notice"));
  for (let i = 1; i < notices.length; i++) {
    const [before, now] = [notices[i - 1]!.header, notices[i]!.header];
    expect(now.version).toBeGreaterThan(before.version);
    expect(now.skipped).toBe(now.version - before.version - 1);
  }
  return notices;
}

describe("live sessions: version notices", () => {
  it("tells a subscriber every version, from sockets, HTTP and a restore, in order or as skipped", async () => {
    const shard = await createShard(config);
    const subscriber = (await openLive(shard, { scopes: ["read"] })).client;
    subscriber.send("subscribe", { notify: "version" });
    expect((await subscriber.expect<Notice>("notice")).header).toMatchObject({ version: 0, skipped: 0, weights: false });
    const pusher = (await openLive(shard)).client;
    pusher.send("push", { key: "p1" }, [1, 1, 1]);
    await pusher.expect("answer");
    expect((await push(shard, [1, 0, 0])).status).toBe(200);
    // Several pushes at once: written in one group, told as one notice or several.
    for (const key of ["p2", "p3", "p4"]) pusher.send("push", { key }, [0, 1, 0]);
    for (let i = 0; i < 3; i++) await pusher.expect("answer");
    const snap = await call(`/v1/shards/${shard}/checkpoints`, { method: "POST" });
    const checkpoint = (await snap.json()) as { id: number };
    expect((await call(`/v1/shards/${shard}/checkpoints/${checkpoint.id}/restore`, { method: "POST" })).status).toBe(200);
    const final = await versionOf(shard);
    expect(final).toBe(6);
    const notices = await noticesUntil(subscriber, final);
    expect(notices[0]!.header.version).toBe(1);
    expect(notices.reduce((n, f) => n + 1 + f.header.skipped, 0)).toBe(final);
    subscriber.close();
    pusher.close();
  });

  it("sends the weights to a subscriber that asked, every Nth version, and resumes from `since`", async () => {
    const shard = await createShard(config);
    for (let i = 0; i < 2; i++) await push(shard, [1, 2, 3]);
    const { client } = await openLive(shard);
    client.send("subscribe", { notify: "weights", every: 3, since: 0 });
    const first = await client.expect<Notice>("notice");
    expect(first.header).toMatchObject({ version: 2, skipped: 1, weights: true });
    expect([...first.payload]).toEqual([...(await floatsOf(await call(`/v1/shards/${shard}/weights`)))]);
    // A subscriber's own pushes: the notice comes once the version is written, beside the push's answer.
    const notices: Frame<Notice>[] = [];
    for (let i = 0; i < 3; i++) {
      client.send("push", { key: `n${i}` }, [1, 1, 1]);
      for (let answered = false; !answered; ) {
        const frame = (await client.next()) as { frame: Frame };
        if (frame.frame.kind === "notice") notices.push(frame.frame as Frame<Notice>);
        else answered = frame.frame.kind === "answer";
      }
    }
    if (notices.length === 0) notices.push(await client.expect<Notice>("notice"));
    expect(notices.length).toBe(1);
    const third = notices[0]!;
    expect(third.header).toMatchObject({ version: 5, skipped: 2, weights: true });
    expect([...third.payload]).toEqual([...(await floatsOf(await call(`/v1/shards/${shard}/weights`)))]);
    // Unsubscribed: the push is answered and nothing else comes before the pong.
    client.send("unsubscribe", {});
    client.send("push", { key: "after" }, [1, 1, 1]);
    await client.expect("answer");
    client.ws.send("ping");
    expect(await client.next()).toEqual({ text: "pong" });
    client.close();
  });

  it("closes every session with 4404 when the shard is deleted, those that only push too (no notice pass runs for them)", async () => {
    const shard = await createShard(config);
    const { client } = await openLive(shard);
    const { client: pusher } = await openLive(shard);
    // A push and its commit: the pass after it finds nobody subscribed, and the next commits run none.
    pusher.send("push", { key: "only-pushes" }, [1, 1, 1]);
    await pusher.expect("answer");
    pusher.send("push", { key: "only-pushes-2" }, [1, 1, 1]);
    await pusher.expect("answer");
    expect((await call(`/v1/shards/${shard}`, { method: "DELETE" })).status).toBe(204);
    expect((await client.closed()).code).toBe(LiveCloseCode.shardDeleted);
    expect((await pusher.closed()).code).toBe(LiveCloseCode.shardDeleted);
  });
});

describe("live sessions: rounds", () => {
  it("receipts each contribution and sends the round's weights to every participant when it closes", async () => {
    const shard = await createShard({ ...config, aggregation: { mode: "rounds", quorum: 2, deadline_ms: 60_000 } });
    const a = (await openLive(shard, { sub: "p1" })).client;
    const b = (await openLive(shard, { sub: "p2" })).client;
    a.send("push", { key: "ra" }, [2, 0, 0]);
    const receipt = await a.expect<{ key: string; round: { number: number; closed: boolean; contributors: number; quorum: number } }>("receipt");
    expect(receipt.header).toMatchObject({ key: "ra", round: { number: 1, closed: false, contributors: 1, quorum: 2 } });
    b.send("push", { key: "rb", answer: "weights" }, [0, 2, 0]);
    // The push that completes the quorum is answered with the new weights; the other participant gets the round frame.
    const answer = await b.expect("answer");
    expect(answer.header).toMatchObject({ key: "rb", version: 1, applied: true, payload: "weights" });
    const round = await a.expect<{ round: number; version: number; payload: string }>("round");
    expect(round.header).toMatchObject({ round: 1, version: 1, payload: "weights" });
    expect([...round.payload]).toEqual([-0.5, -0.5, 0]);
    expect([...answer.payload]).toEqual([...round.payload]);
    a.close();
    b.close();
  });
});

describe("live sessions: a client that stops reading", () => {
  it("is closed with 4408 past max_unsent_bytes, while one that pings stays", async () => {
    // Notices with the weights of a 1M-float shard: 4 MiB each, so 9 of them exceed the 32 MiB bound.
    const length = LIVE_CHUNK_FLOATS;
    const shard = await createShard({ length, rule: "sgd", hyper: { lr: 0.5 }, init: { kind: "zeros" }, rate_limit: null });
    const silent = (await openLive(shard, { scopes: ["read"], sub: "silent" })).client;
    const pinging = (await openLive(shard, { scopes: ["read"], sub: "pinging" })).client;
    for (const client of [silent, pinging]) {
      client.send("subscribe", { notify: "weights" });
      await client.expect("notice");
    }
    const pusher = (await openLive(shard)).client;
    const gradient = new Float32Array(length).fill(0.25);
    // What the silent subscriber was sent since its subscribe frame: its first notice, then one per push.
    let unsent = encodeFrame("notice", { version: 0, revision: 0, skipped: 0, weights: true }, new Float32Array(length)).byteLength;
    let closed: { code: number } | undefined;
    let pushes = 0;
    while (!closed) {
      pusher.send("push", { key: `u${pushes++}` }, gradient);
      await pusher.expect("answer");
      await pinging.expect("notice");
      pinging.ws.send("ping");
      expect(await pinging.next()).toEqual({ text: "pong" });
      const got = await silent.next();
      if ("close" in got) closed = got.close;
      else if ("frame" in got) unsent += encodeFrame("notice", got.frame.header, got.frame.payload).byteLength;
      expect(pushes).toBeLessThanOrEqual(LIVE_MAX_UNSENT_BYTES / (length * 4) + 1);
    }
    expect(closed.code).toBe(LiveCloseCode.notReading);
    // Closed by the notice that would have passed the bound, not before.
    expect(unsent).toBeLessThanOrEqual(LIVE_MAX_UNSENT_BYTES);
    expect(unsent + length * 4).toBeGreaterThan(LIVE_MAX_UNSENT_BYTES);
    pusher.send("push", { key: "last" }, gradient);
    await pusher.expect("answer");
    expect((await pinging.expect<{ version: number }>("notice")).header.version).toBe(pushes + 1);
    pinging.close();
    pusher.close();
  });
});
