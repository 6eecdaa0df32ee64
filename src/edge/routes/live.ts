import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { LIVE_TICKET_MS, MAX_CLIENT_ID_LENGTH } from "../../limits";
import { refuse, RefusalError, type Refusal } from "../../problems";
import { LIVE_SESSION_HEADER, type LiveSession } from "../../shard/live/session";
import { contributorOf } from "../auth/contributor";
import { scoped } from "../auth/middleware";
import { issueTicket } from "../auth/ticket";
import { grants } from "../auth/token";
import { ShardParams } from "../schemas/params";
import type { EdgeEnv } from "../types";
import { refusing } from "./refusals";

/**
 * Live sessions (docs/live.md): a WebSocket to the shard's object, authenticated once here, by the
 * bearer token or by a ticket, then handed to the object with the session in an internal header.
 */

const getLive = refusing(
  createRoute({
    method: "get",
    path: "/v1/shards/{shard}/live",
    middleware: [scoped("read", "shard", "open a live session on")] as const,
    tags: ["gradients"],
    operationId: "openLiveSession",
    summary: "Open a live session: a WebSocket for pushes, answers and version notices in binary frames.",
    description:
      "Upgrades to a WebSocket (`Upgrade: websocket`) that speaks the frame protocol of docs/live.md (and asyncapi.yaml): push frames answered once durable, " +
      "version notices to subscribers, round receipts and round frames, problems as frames. Authenticated once, here: with `Authorization: Bearer` " +
      "(scope `read` to subscribe, `train` to push), or, where no header can be set (a browser), with `?ticket=` from POST /live/tickets. " +
      "The socket closes with 4401 when the token expires.",
    request: {
      params: ShardParams,
      query: z.object({
        ticket: z.string().min(1).optional().openapi({ description: "A ticket from POST /v1/shards/{shard}/live/tickets, instead of the Authorization header; good once, for 60 s." }),
      }),
      headers: z.object({
        upgrade: z.string().optional().openapi({ description: "`websocket`: anything else is 426." }),
        "x-client-id": z.string().min(1).max(MAX_CLIENT_ID_LENGTH).optional().openapi({ description: "A relay token's client, as on a push (X-Client-Id): the session pushes as it." }),
      }),
    },
    responses: {
      101: { description: "Switching Protocols: the session is open; its first frame is the welcome (docs/live.md)." },
    },
  }),
  ["not-found", "upgrade-required", "live-backlog"],
);

const postTicket = refusing(
  createRoute({
    method: "post",
    path: "/v1/shards/{shard}/live/tickets",
    middleware: [scoped("read", "shard", "open a live session on")] as const,
    tags: ["gradients"],
    operationId: "createLiveTicket",
    summary: "A single-use ticket that opens a live session on the shard (for browsers, which cannot set headers on a WebSocket).",
    description:
      `Answers a ticket good once, for ${LIVE_TICKET_MS / 1000} s, for this shard: the session it opens has this token's subject, scopes and expiry. ` +
      "Pass it as `GET /v1/shards/{shard}/live?ticket=<ticket>`; a second use is 401.",
    request: { params: ShardParams },
    responses: {
      201: {
        description: "The ticket.",
        content: {
          "application/json": {
            schema: z
              .object({
                ticket: z.string().openapi({ description: "Pass as `?ticket=` to GET /v1/shards/{shard}/live." }),
                shard: z.string(),
                expires_at: z.string().openapi({ description: "Until when it may be redeemed (ISO 8601)." }),
              })
              .openapi("LiveTicket"),
          },
        },
      },
    },
  }),
  [],
);

/** The object answers a refused session with its refusal as JSON (src/shard/live/live.ts): thrown here, rendered as any refusal. */
async function refusalOf(res: Response): Promise<never> {
  const refusal = (await res.json()) as Refusal;
  throw new RefusalError(refusal.code, refusal.detail, refusal.extensions ? { ...refusal.extensions } : undefined);
}

export const live = new OpenAPIHono<EdgeEnv>()
  .openapi(postTicket, async (c) => {
    const { shard } = c.req.valid("param");
    const { ticket, claims } = await issueTicket(c.env.AUTH_SECRET!, c.var.principal, shard, Date.now());
    return c.json({ ticket, shard, expires_at: new Date(claims.until).toISOString() }, 201);
  })
  .openapi(getLive, async (c) => {
    const { shard } = c.req.valid("param");
    const headers = c.req.valid("header");
    if (headers.upgrade?.toLowerCase() !== "websocket") refuse("upgrade-required", "a live session is a WebSocket: open it with `Upgrade: websocket` (new WebSocket(url) does)");
    const principal = c.var.principal;
    const { subject, clientId, clientKey } = contributorOf(c, headers["x-client-id"]);
    const ticket = c.var.liveTicket;
    const session: LiveSession = {
      shard,
      sub: subject,
      scopes: [...principal.scopes],
      client: clientId,
      clientKey,
      push: grants(principal, "train", shard),
      expiresAt: principal.exp === undefined ? null : principal.exp * 1000,
      ...(ticket ? { ticket: { id: ticket.jti, until: ticket.until } } : {}),
    };
    // A request of our own: nothing the client sent reaches the object but the session built here.
    const upgrade = new Request("https://shard/live", { headers: { upgrade: "websocket", [LIVE_SESSION_HEADER]: JSON.stringify(session) } });
    const res = await c.env.SHARDS.get(c.env.SHARDS.idFromName(shard)).fetch(upgrade);
    if (res.status !== 101) return refusalOf(res);
    return res as never;
  });
