import type { Context } from "hono";
import { refuse, RefusalError, type Refusal } from "../problems";
import { LIVE_SESSION_HEADER, type LiveSession } from "../shard/live/session";
import { contributorOf } from "./auth/contributor";
import { issueTicket } from "./auth/ticket";
import { grants } from "./auth/token";
import type { EdgeEnv } from "./types";

/**
 * Hands an authenticated upgrade to the shard's object (docs/live.md): the session (the token's
 * subject, scopes and expiry, the client, whether it may push, the ticket to redeem, the model of a
 * model's session) goes in an internal header of a request built here, so nothing the client sent
 * reaches the object. `name` is what the token's scopes were checked on: the shard, or its model.
 */
export async function openLiveSession(c: Context<EdgeEnv, any, any>, shard: string, name: string, clientIdHeader: string | undefined, upgrade: string | undefined, model?: LiveSession["model"]): Promise<Response> {
  if (upgrade?.toLowerCase() !== "websocket") refuse("upgrade-required", "a live session is a WebSocket: open it with `Upgrade: websocket` (new WebSocket(url) does)");
  const principal = c.var.principal;
  const { subject, clientId, clientKey } = contributorOf(c, clientIdHeader);
  const ticket = c.var.liveTicket;
  const session: LiveSession = {
    shard,
    sub: subject,
    scopes: [...principal.scopes],
    client: clientId,
    clientKey,
    push: grants(principal, "train", name),
    expiresAt: principal.exp === undefined ? null : principal.exp * 1000,
    ...(ticket ? { ticket: { id: ticket.jti, until: ticket.until } } : {}),
    ...(model ? { model } : {}),
  };
  const request = new Request("https://shard/live", { headers: { upgrade: "websocket", [LIVE_SESSION_HEADER]: JSON.stringify(session) } });
  const res = await c.env.SHARDS.get(c.env.SHARDS.idFromName(shard)).fetch(request);
  if (res.status === 101) return res;
  // The object answers a refused session with its refusal as JSON (src/shard/live/live.ts): thrown here, rendered as any refusal.
  const refusal = (await res.json()) as Refusal;
  throw new RefusalError(refusal.code, refusal.detail, refusal.extensions ? { ...refusal.extensions } : undefined);
}

/** A ticket for a session on `shard` in the name of the request's token. */
export async function liveTicket(c: Context<EdgeEnv, any, any>, shard: string): Promise<{ ticket: string; expires_at: string }> {
  const { ticket, claims } = await issueTicket(c.env.AUTH_SECRET!, c.var.principal, shard, Date.now());
  return { ticket, expires_at: new Date(claims.until).toISOString() };
}
