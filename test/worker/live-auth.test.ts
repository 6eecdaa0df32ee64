import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { ShardObject } from "../../src/shard/object";
import { afterEach, describe, expect, it, vi } from "vitest";
import { signToken } from "../../src/edge/auth/token";
import { LiveCloseCode } from "../../src/formats/live-frames";
import { LIVE_TICKET_MS } from "../../src/limits";
import { LIVE_SESSION_HEADER } from "../../src/shard/live/session";
import { call, createShard } from "./support/api";
import { openLive, upgrade } from "./support/live";

const config = { length: 2, rule: "sgd", hyper: { lr: 0.5 }, init: { kind: "zeros" } };

async function ticketFor(shard: string, scopes: ("read" | "train" | "admin")[] = ["train"]): Promise<string> {
  const res = await call(`/v1/shards/${shard}/live/tickets`, { method: "POST", scopes });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { ticket: string; shard: string; expires_at: string };
  expect(body.shard).toBe(shard);
  return body.ticket;
}

const problemOf = async (res: Response) => (await res.json()) as { type: string; reason?: string; detail: string };

afterEach(() => {
  vi.useRealTimers();
});

describe("live sessions: authentication", () => {
  it("opens a session with a ticket once; a replay is 401 ticket-used", async () => {
    const shard = await createShard(config);
    const ticket = await ticketFor(shard);
    expect(ticket.startsWith("lt1.")).toBe(true);
    const { client, welcome } = await openLive(shard, { ticket });
    expect(welcome.header).toMatchObject({ shard, subject: "test" });
    client.send("push", { key: "t1" }, [1, 1]);
    expect((await client.expect("answer")).header).toMatchObject({ version: 1 });
    const replay = await upgrade(shard, { ticket });
    expect(replay.status).toBe(401);
    expect(await problemOf(replay)).toMatchObject({ type: "/problems/unauthorized", reason: "ticket-used" });
    client.close();
  });

  it("refuses a ticket of another shard, an altered one, and an expired one", async () => {
    const shard = await createShard(config);
    const other = await createShard(config);
    const ticket = await ticketFor(shard);
    const wrong = await upgrade(other, { ticket });
    expect(wrong.status).toBe(401);
    expect(await problemOf(wrong)).toMatchObject({ reason: "ticket-shard" });
    const [v, claims, sig] = ticket.split(".");
    // A ticket signs a random id, so its signature differs every run: change its first character, whose 6 bits are all signature.
    const altered = await upgrade(shard, { ticket: `${v}.${claims}.${sig![0] === "A" ? "B" : "A"}${sig!.slice(1)}` });
    expect(altered.status).toBe(401);
    expect(await problemOf(altered)).toMatchObject({ reason: "bad-signature" });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + LIVE_TICKET_MS + 1000);
    const late = await upgrade(shard, { ticket });
    expect(late.status).toBe(401);
    expect(await problemOf(late)).toMatchObject({ reason: "ticket-expired" });
  });

  it("lets a read token subscribe but not push, whatever internal header the client sends", async () => {
    const shard = await createShard(config);
    const forged = JSON.stringify({ shard, sub: "admin", scopes: ["admin"], client: "admin", clientKey: "admin/admin", push: true, expiresAt: null });
    const { client } = await openLive(shard, { scopes: ["read"], headers: { [LIVE_SESSION_HEADER]: forged } });
    client.send("push", { key: "r1" }, [1, 1]);
    const refused = await client.expect<{ key: string; problem: { type: string; status: number; detail: string } }>("problem");
    expect(refused.header).toMatchObject({ key: "r1", problem: { type: "/problems/forbidden", status: 403 } });
    expect(refused.header.problem.detail).toMatch(/scope 'train'/);
    client.send("subscribe", { notify: "version" });
    expect((await client.expect("notice")).header).toMatchObject({ version: 0, skipped: 0 });
    client.close();
    // A token without read on the shard is 403 at the upgrade; a token without read anywhere cannot even ask for a ticket.
    const outside = await upgrade(shard, { bearer: await signToken(env.AUTH_SECRET!, { sub: "x", scopes: ["admin"], prefix: "elsewhere-", iat: 0 }) });
    expect(outside.status).toBe(403);
    const noToken = await call(`/v1/shards/${shard}/live/tickets`, { method: "POST", auth: false });
    expect(noToken.status).toBe(401);
  });

  it("refuses an X-Client-Id a token may not speak for, and keeps a relay's", async () => {
    const shard = await createShard(config);
    const refused = await upgrade(shard, { scopes: ["train"], headers: { "x-client-id": "someone-else" } });
    expect(refused.status).toBe(403);
    const { client, welcome } = await openLive(shard, { scopes: ["relay"], headers: { "x-client-id": "device-7" } });
    expect(welcome.header).toMatchObject({ subject: "test", client_id: "device-7" });
    client.close();
  });

  it("closes the socket with 4401 once the token has expired, at the next frame", async () => {
    const shard = await createShard(config);
    const exp = Math.floor(Date.now() / 1000) + 60;
    const bearer = await signToken(env.AUTH_SECRET!, { sub: "short", scopes: ["train"], prefix: "", iat: exp - 120, exp });
    const { client, welcome } = await openLive(shard, { bearer });
    expect(welcome.header.expires_at).toBe(exp * 1000);
    client.send("push", { key: "e1" }, [1, 1]);
    expect((await client.expect("answer")).header).toMatchObject({ version: 1 });
    // The clock the object reads (its store's `now`) moves past the expiry; no timer runs per socket.
    await runInDurableObject(env.SHARDS.get(env.SHARDS.idFromName(shard)), (instance: ShardObject) => {
      (instance as unknown as { store: { now: () => number } }).store.now = () => exp * 1000;
    });
    client.send("push", { key: "e2" }, [1, 1]);
    const closed = await client.closed();
    expect(closed.code).toBe(LiveCloseCode.tokenExpired);
    expect(closed.reason).toMatch(/token expired at/);
    const info = (await (await call(`/v1/shards/${shard}`)).json()) as { version: number };
    expect(info.version).toBe(1);
  });
});
