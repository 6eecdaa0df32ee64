/**
 * `api.live(shard)` from Node against a real `wrangler dev`: a session over the socket (pushes
 * answered with weights, notices of another client's pushes, refusals as the HTTP problem, a
 * gradient longer than a frame in chunks), through a reconnect after the shard closed the socket,
 * and over HTTP where there is no WebSocket.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createShardstep, isShardstepProblem, type LiveNotice, type Shardstep } from "../../packages/client/src/index";
import { expectReconnected, shortLivedToken } from "./support/live-expect";
import { reconnectScenario } from "./support/live-scenario";
import { adminToken, DevServer } from "./support/server";

let server: DevServer;
let api: Shardstep;
let token: string;

beforeAll(async () => {
  server = await DevServer.start();
  token = await adminToken();
  api = createShardstep({ baseUrl: server.baseUrl, token });
});
afterAll(() => server?.dispose());

describe("live(shard) over the socket", () => {
  it("pushes with answers, hears another client's push, refuses as HTTP does, and chunks what a frame cannot hold", async () => {
    const shard = "live.node";
    await api.createShard(shard, { length: 3, rule: "sgd", hyper: { lr: 1 }, init: { kind: "zeros" } });
    const session = await api.live(shard);
    expect(session.transport).toBe("socket");
    expect(session.welcome).toMatchObject({ shard, version: 0, length: 3, mode: "async" });
    const notices = session.subscribe();
    expect((await notices.next()).value).toMatchObject({ version: 0, skipped: 0 });

    const answer = await session.push(new Float32Array([1, 2, 3]), { answer: "weights", sampleCount: 8 });
    expect(answer).toMatchObject({ version: 1, replayed: false, via: "socket", pointIsWeights: true });
    expect(Array.from(answer.values)).toEqual([-1, -2, -3]);
    expect((await notices.next()).value).toMatchObject({ version: 1, skipped: 0 });
    await api.pushGradientSummary(shard, new Float32Array([1, 1, 1]));
    expect((await notices.next()).value).toMatchObject({ version: 2, skipped: 0 });

    const refused = await session.push(new Float32Array(5)).catch((e: unknown) => e);
    expect(isShardstepProblem(refused, "wrong-length")).toBe(true);
    expect(refused).toMatchObject({ status: 422 });
    session.close();
    expect(await notices.next()).toEqual({ value: undefined, done: true });

    // One float more than a chunk: two frames, applied once, as one push.
    const long = "live.node-long";
    const chunk = session.welcome!.limits.chunk_floats;
    await api.createShard(long, { length: chunk + 1, rule: "sgd", hyper: { lr: 1 }, init: { kind: "zeros" } });
    const chunked = await api.live(long);
    const gradient = new Float32Array(chunk + 1).map((_, i) => (i % 7) - 3);
    const pushed = await chunked.push(gradient, { answer: "weights" });
    chunked.close();
    expect(pushed.version).toBe(1);
    // Compared float by float (a million-float diff would take the reporter minutes); −0 and 0 are equal weights.
    const wrong = gradient.reduce((n, g, i) => n + (pushed.values[i] === -g ? 0 : 1), 0);
    expect(pushed.values.length).toBe(chunk + 1);
    expect(wrong).toBe(0);
    expect((await api.getShard(long)).version).toBe(1);
  });

  it("reconnects after the shard closed the socket: resends the unanswered push once, resumes the subscription, counts what it skipped", async () => {
    const short = await shortLivedToken();
    const outcome = await reconnectScenario({ baseUrl: server.baseUrl, shard: "live.node-reconnect", adminToken: token, shortToken: short.token, expiresAt: short.expiresAt, freshToken: token });
    console.log(`live reconnect (node): ${JSON.stringify(outcome)}`);
    expectReconnected(outcome);
  });
});

describe("live(shard) without a WebSocket", () => {
  it("pushes over HTTP with the same keys and hears new versions by long poll", async () => {
    const shard = "live.node-http";
    await api.createShard(shard, { length: 2, rule: "sgd", hyper: { lr: 1 }, init: { kind: "zeros" } });
    const saved = globalThis.WebSocket;
    // @ts-expect-error: a runtime without WebSocket
    delete globalThis.WebSocket;
    let session;
    try {
      session = await api.live(shard, { waitSeconds: 5 });
    } finally {
      globalThis.WebSocket = saved;
    }
    expect(session.transport).toBe("http");
    const notices = session.subscribe({ notify: "weights" });
    expect((await notices.next()).value).toMatchObject({ version: 0, skipped: 0 });
    const answer = await session.push(new Float32Array([2, 4]), { idempotencyKey: "live-http-1", answer: "weights" });
    expect(answer).toMatchObject({ version: 1, via: "http", replayed: false });
    expect(Array.from(answer.values)).toEqual([-2, -4]);
    const notice = (await notices.next()).value as LiveNotice;
    expect(notice).toMatchObject({ version: 1, skipped: 0 });
    expect(Array.from(notice.weights!)).toEqual([-2, -4]);
    const again = await session.push(new Float32Array([2, 4]), { idempotencyKey: "live-http-1" });
    expect(again).toMatchObject({ version: 1, replayed: true });
    session.close();
    expect((await api.getShard(shard)).version).toBe(1);
  });
});
