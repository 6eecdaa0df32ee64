/**
 * Live-session tickets (docs/live.md): a browser cannot set headers on a WebSocket, and a token in a
 * URL leaks into logs, so it first asks `POST /v1/shards/{shard}/live/tickets` (with its bearer token)
 * for a ticket and opens the socket with `?ticket=`. A ticket is
 * `lt1.<base64url(JSON claims)>.<base64url(HMAC-SHA256(secret, "lt1.<claims>"))>`: it names one
 * shard, carries the token's subject, scopes, prefix and expiry, and is good for LIVE_TICKET_MS.
 * The signature's input starts with `lt1.`, so a ticket is never a token, nor a token a ticket.
 * The shard's object redeems a ticket once (src/shard/live/tickets.ts).
 */

import { LIVE_TICKET_MS, MAX_TOKEN_LENGTH } from "../../limits";
import { decodeBase64url, encodeBase64url, hmacKey, isScope, type Scope, type TokenClaims } from "./token";

export const TICKET_VERSION = "lt1";

export interface TicketClaims {
  /** The shard the ticket opens a session on. */
  shard: string;
  sub: string;
  scopes: Scope[];
  prefix: string;
  /** The token's expiry (unix seconds), which the session keeps. */
  exp?: number;
  /** The ticket's id, redeemed once. */
  jti: string;
  /** Until when the ticket may be redeemed (ms since the epoch). */
  until: number;
}

const utf8 = new TextEncoder();

async function signature(secret: string, body: string): Promise<string> {
  return encodeBase64url(new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), utf8.encode(body))));
}

/** A ticket for `shard` in the name of the token's claims, good from `nowMs` for LIVE_TICKET_MS. */
export async function issueTicket(secret: string, claims: TokenClaims, shard: string, nowMs: number): Promise<{ ticket: string; claims: TicketClaims }> {
  const jti = encodeBase64url(crypto.getRandomValues(new Uint8Array(16)));
  const ticketClaims: TicketClaims = { shard, sub: claims.sub, scopes: [...claims.scopes], prefix: claims.prefix, ...(claims.exp === undefined ? {} : { exp: claims.exp }), jti, until: nowMs + LIVE_TICKET_MS };
  const body = `${TICKET_VERSION}.${encodeBase64url(utf8.encode(JSON.stringify(ticketClaims)))}`;
  return { ticket: `${body}.${await signature(secret, body)}`, claims: ticketClaims };
}

export type TicketVerification = { ok: true; claims: TicketClaims } | { ok: false; reason: string; detail: string };

/** Checks a ticket's form, signature, shard and time; whether it was used already is the shard's to say. */
export async function verifyTicket(secret: string, ticket: string, shard: string, nowMs: number): Promise<TicketVerification> {
  const bad = (reason: string, detail: string): TicketVerification => ({ ok: false, reason, detail });
  if (ticket.length > MAX_TOKEN_LENGTH) return bad("malformed", `the ticket is ${ticket.length} characters long; at most ${MAX_TOKEN_LENGTH}`);
  const [version, payload, signed, ...rest] = ticket.split(".");
  if (version !== TICKET_VERSION || payload === undefined || signed === undefined || rest.length > 0) {
    return bad("malformed", `the ticket is not '${TICKET_VERSION}.<claims>.<signature>': pass the ticket POST /v1/shards/{shard}/live/tickets answered, as it is`);
  }
  const sig = decodeBase64url(signed);
  const valid = sig !== undefined && (await crypto.subtle.verify("HMAC", await hmacKey(secret), sig, utf8.encode(`${version}.${payload}`)));
  if (!valid) return bad("bad-signature", "the ticket's signature does not match: it was altered or issued with another secret");
  let claims: TicketClaims;
  try {
    claims = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(decodeBase64url(payload) ?? new Uint8Array([0xff]))) as TicketClaims;
  } catch {
    return bad("malformed", "the ticket's claims are not base64url JSON");
  }
  if (typeof claims.sub !== "string" || !Array.isArray(claims.scopes) || !claims.scopes.every(isScope) || typeof claims.jti !== "string" || typeof claims.until !== "number") {
    return bad("malformed", "the ticket's claims are incomplete");
  }
  if (claims.shard !== shard) return bad("ticket-shard", `the ticket opens a session on '${claims.shard}', not on '${shard}': ask one for this shard`);
  if (nowMs >= claims.until) return bad("ticket-expired", `the ticket expired at ${new Date(claims.until).toISOString()} (tickets are good for ${LIVE_TICKET_MS / 1000} s): ask a new one`);
  if (claims.exp !== undefined && nowMs >= claims.exp * 1000) return bad("expired", `the token the ticket was issued for expired at ${new Date(claims.exp * 1000).toISOString()}`);
  return { ok: true, claims };
}
