import type { MiddlewareHandler } from "hono";
import { LIVE_TICKET_MS } from "../../limits";
import { refuse, RefusalError } from "../../problems";
import type { AuthEnv } from "./middleware";
import { verifyTicket, type TicketClaims } from "./ticket";

export type TicketEnv = AuthEnv & { Variables: { liveTicket?: TicketClaims } };

/**
 * A live session opened with `?ticket=` (src/edge/auth/ticket.ts) on the shard `shardOf` names from
 * the path's parameters: the ticket stands for the bearer
 * token it was issued for, so bearerAuth, which runs next, finds the principal set and checks
 * nothing more. Without a ticket, bearerAuth asks for the token as on any route.
 */
export function ticketAuth(shardOf: (param: (name: string) => string | undefined) => string): MiddlewareHandler<TicketEnv> {
  return async function ticketAuth(c, next) {
    const ticket = new URL(c.req.url).searchParams.get("ticket");
    if (ticket === null) return next();
    const secret = c.env?.AUTH_SECRET;
    if (!secret) refuse("auth-not-configured", "set the AUTH_SECRET secret: wrangler secret put AUTH_SECRET");
    const result = await verifyTicket(secret, ticket, shardOf((name) => c.req.param(name)), Date.now());
    if (!result.ok) {
      c.header("WWW-Authenticate", 'Bearer realm="shardstep", error="invalid_token"');
      throw new RefusalError("unauthorized", result.detail, { reason: result.reason });
    }
    const { sub, scopes, prefix, exp, until } = result.claims;
    c.set("principal", { sub, scopes, prefix, iat: Math.floor((until - LIVE_TICKET_MS) / 1000), ...(exp === undefined ? {} : { exp }) });
    c.set("liveTicket", result.claims);
    await next();
  };
}
