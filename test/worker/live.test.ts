import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ShardObject } from "../../src/shard/object";
import { encodeFrame } from "../../src/formats/live-frames";
import { LIVE_ASSEMBLY_BUDGET_BYTES, LIVE_CHUNK_FLOATS, LIVE_MAX_FRAME_BYTES, LIVE_MAX_IN_FLIGHT, MAX_SHARD_LENGTH } from "../../src/limits";
import { call, createShard, floatsOf, push } from "./support/api";
import { openLive, upgrade } from "./support/live";

const adam = (length: number, extra: Record<string, unknown> = {}) => ({ length, rule: "adam", hyper: { lr: 0.1 }, init: { kind: "zeros" }, ...extra });

describe("live sessions: frames", () => {
  it("welcomes, answers a push once durable, and the weights agree with HTTP", async () => {
    const shard = await createShard(adam(4));
    const { client, welcome } = await openLive(shard);
    expect(welcome.header).toMatchObject({ shard, version: 0, revision: 0, length: 4, mode: "async", subject: "test", client_id: "test", expires_at: null });
    expect(welcome.header.limits).toMatchObject({ max_in_flight: LIVE_MAX_IN_FLIGHT });
    client.send("push", { key: "k1", answer: "weights" }, [1, -1, 2, 0]);
    const answer = await client.expect("answer");
    expect(answer.header).toMatchObject({ key: "k1", version: 1, applied: true, replayed: false, payload: "weights", offset: 0, count: 4 });
    const http = await floatsOf(await call(`/v1/shards/${shard}/weights`));
    expect([...answer.payload]).toEqual([...http]);
    expect(http[0]).toBeCloseTo(-0.1, 6);
    // The summary alone unless asked; a range push answers its range.
    client.send("push", { key: "k2", offset: 2, base_version: 1, samples: 3 }, [1, 1]);
    const summary = await client.expect("answer");
    expect(summary.header).toMatchObject({ key: "k2", version: 2, offset: 2, count: 2, payload: "none", staleness: 0 });
    expect(summary.payload.length).toBe(0);
    client.close();
  });

  it("refuses an upgrade without Upgrade: websocket (426) and one of a shard that does not exist (404)", async () => {
    const shard = await createShard(adam(2));
    const res = await call(`/v1/shards/${shard}/live`);
    expect(res.status).toBe(426);
    expect(await res.json()).toMatchObject({ type: "/problems/upgrade-required" });
    const missing = await upgrade("no-such-shard-live");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ type: "/problems/not-found" });
  });

  it("answers every refusal as a problem frame with HTTP's type, title and detail, and changes nothing", async () => {
    const shard = await createShard(adam(4));
    const http = await push(shard, [1, 2, 3], { "idempotency-key": "h-wrong" });
    const httpProblem = (await http.json()) as Record<string, unknown>;
    const { client } = await openLive(shard);
    client.send("push", { key: "s-wrong" }, [1, 2, 3]);
    const problem = await client.expect<{ key: string; problem: Record<string, unknown> }>("problem");
    expect(problem.header.key).toBe("s-wrong");
    const { instance: _h, ...sameAsHttp } = httpProblem;
    const { instance, ...frameProblem } = problem.header.problem;
    expect(frameProblem).toEqual(sameAsHttp);
    expect(instance).toBe(`/v1/shards/${shard}/live`);
    // Malformed frames are problems too, and the session goes on.
    const malformed: [string, (send: WebSocket) => void, RegExp][] = [
      ["text", (ws) => ws.send("hello"), /text message/],
      ["short", (ws) => ws.send(new Uint8Array([1, 1])), /shorter than its 4-byte prefix/],
      ["kind", (ws) => ws.send(new Uint8Array([99, 1, 0, 0])), /unknown frame kind 99/],
      ["version", (ws) => ws.send(new Uint8Array([1, 7, 0, 0])), /protocol version 7/],
      ["server kind", (ws) => ws.send(encodeFrame("answer", {})), /not answer/],
      ["no key", (ws) => ws.send(encodeFrame("push", {}, new Float32Array(4))), /key/],
      ["unknown field", (ws) => ws.send(encodeFrame("push", { key: "x", answr: "weights" }, new Float32Array(4))), /answr/],
      ["bad chunk", (ws) => ws.send(encodeFrame("push", { key: "x", chunk: { index: 2, count: 2, length: 4 } }, new Float32Array(4))), /chunk.index/],
      ["subscribe", (ws) => ws.send(encodeFrame("subscribe", { notify: "sometimes" })), /notify/],
      ["too long", (ws) => ws.send(encodeFrame("push", { key: "big" }, new Float32Array((LIVE_MAX_FRAME_BYTES - 16) / 4 + 1))), /exceeds this session's .* send the gradient in chunks/],
    ];
    for (const [what, send, detail] of malformed) {
      send(client.ws);
      const refused = await client.expect<{ problem: { type: string; detail: string; status: number } }>("problem");
      expect(refused.header.problem.type, what).toBe("/problems/invalid-frame");
      expect(refused.header.problem.status, what).toBe(400);
      expect(refused.header.problem.detail, what).toMatch(detail);
    }
    const info = (await (await call(`/v1/shards/${shard}`)).json()) as { version: number };
    expect(info.version).toBe(0);
    client.send("push", { key: "ok" }, [1, 1, 1, 1]);
    expect((await client.expect("answer")).header).toMatchObject({ key: "ok", version: 1 });
    client.close();
  });

  it("answers ping with pong", async () => {
    const shard = await createShard(adam(2));
    const { client } = await openLive(shard);
    client.ws.send("ping");
    expect(await client.next()).toEqual({ text: "pong" });
    client.close();
  });

  it("applies a chunked push atomically as one push, and refuses chunks out of order", async () => {
    const shard = await createShard(adam(10));
    const { client } = await openLive(shard);
    const gradient = Array.from({ length: 10 }, (_, i) => i - 4.5);
    client.send("push", { key: "c", answer: "weights", chunk: { index: 0, count: 3, length: 10 } }, gradient.slice(0, 4));
    client.send("push", { key: "c", chunk: { index: 1, count: 3, length: 10 } }, gradient.slice(4, 8));
    client.send("push", { key: "c", chunk: { index: 2, count: 3, length: 10 } }, gradient.slice(8));
    const answer = await client.expect("answer");
    expect(answer.header).toMatchObject({ key: "c", version: 1, count: 10, payload: "weights" });
    // The same gradient over HTTP on a twin shard gives the same weights.
    const twin = await createShard(adam(10));
    const http = await floatsOf(await push(twin, gradient));
    expect([...answer.payload]).toEqual([...http]);
    // Out of order: refused, and the partial push dropped.
    client.send("push", { key: "d", chunk: { index: 1, count: 2, length: 10 } }, gradient.slice(0, 5));
    expect((await client.expect<{ problem: { detail: string } }>("problem")).header.problem.detail).toMatch(/without chunk 0/);
    client.send("push", { key: "e", chunk: { index: 0, count: 2, length: 10 } }, gradient.slice(0, 5));
    client.send("push", { key: "e", chunk: { index: 1, count: 2, length: 10 } }, gradient.slice(0, 6));
    expect((await client.expect<{ problem: { detail: string } }>("problem")).header.problem.detail).toMatch(/overrun/);
    const info = (await (await call(`/v1/shards/${shard}`)).json()) as { version: number };
    expect(info.version).toBe(1);
    client.close();
  });

  it("refuses frames beyond max_in_flight with live-backlog, never queueing them", async () => {
    const shard = await createShard(adam(2, { rate_limit: null }));
    const { client } = await openLive(shard);
    // The runtime hands frames to the object as they arrive; here they all arrive before the first group is written.
    const sent = LIVE_MAX_IN_FLIGHT + 6;
    await runInDurableObject(env.SHARDS.get(env.SHARDS.idFromName(shard)), async (instance: ShardObject, state) => {
      const [ws] = state.getWebSockets();
      await Promise.all(Array.from({ length: sent }, (_, i) => instance.webSocketMessage(ws!, encodeFrame("push", { key: `f${i}` }, new Float32Array([0.1, 0.1])).buffer)));
    });
    const kinds: string[] = [];
    for (let i = 0; i < sent; i++) {
      const got = await client.next();
      if (!("frame" in got)) throw new Error(JSON.stringify(got));
      kinds.push(got.frame.kind === "problem" ? (got.frame.header as { problem: { type: string } }).problem.type : got.frame.kind);
    }
    expect(kinds.filter((k) => k === "answer").length).toBe(LIVE_MAX_IN_FLIGHT);
    expect(kinds.filter((k) => k === "/problems/live-backlog").length).toBe(6);
    const info = (await (await call(`/v1/shards/${shard}`)).json()) as { version: number };
    expect(info.version).toBe(LIVE_MAX_IN_FLIGHT);
    client.close();
  });

  it("bounds the memory of chunked pushes being assembled, all sockets together", async () => {
    const length = MAX_SHARD_LENGTH;
    const shard = await createShard({ length, rule: "sgd", hyper: { lr: 0.1 }, init: { kind: "zeros" }, rate_limit: null });
    const fits = LIVE_ASSEMBLY_BUDGET_BYTES / (length * 4);
    const clients = await Promise.all(Array.from({ length: fits + 1 }, () => openLive(shard)));
    const chunk = new Float32Array(LIVE_CHUNK_FLOATS);
    const count = length / LIVE_CHUNK_FLOATS;
    for (const [i, { client }] of clients.entries()) {
      client.send("push", { key: `big${i}`, chunk: { index: 0, count, length } }, chunk);
      // Frames of a socket are handled in order: the subscribe's notice follows the chunk's outcome.
      client.send("subscribe", {});
      client.send("unsubscribe", {});
      if (i === fits) expect((await client.expect("problem")).header).toMatchObject({ key: `big${i}`, problem: { type: "/problems/live-backlog" } });
      await client.expect("notice");
    }
    // Once one push is complete, its memory is free again.
    const { client: first } = clients[0]!;
    for (let index = 1; index < count; index++) first.send("push", { key: "big0", chunk: { index, count, length } }, chunk);
    expect((await first.expect("answer")).header).toMatchObject({ key: "big0", version: 1, count: length });
    const { client: last } = clients[fits]!;
    for (let index = 0; index < count; index++) last.send("push", { key: `big${fits}`, chunk: { index, count, length } }, chunk);
    expect((await last.expect("answer")).header).toMatchObject({ key: `big${fits}`, version: 2 });
    for (const { client } of clients) client.close();
  });
});
