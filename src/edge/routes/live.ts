import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { LIVE_TICKET_MS, MAX_CLIENT_ID_LENGTH } from "../../limits";
import { scoped } from "../auth/middleware";
import { liveTicket, openLiveSession } from "../live-session";
import { ShardParams } from "../schemas/params";
import type { EdgeEnv } from "../types";
import { refusing } from "./refusals";

/**
 * Live sessions (docs/live.md): a WebSocket to the shard's object, authenticated once here, by the
 * bearer token or by a ticket, then handed to the object with the session in an internal header.
 */

/** The query and headers of an upgrade, for a shard's session and a model's. */
export const LiveUpgradeRequest = {
  query: z.object({
    ticket: z.string().min(1).optional().openapi({ description: "A ticket from POST .../live/tickets, instead of the Authorization header; good once, for 60 s." }),
  }),
  headers: z.object({
    upgrade: z.string().optional().openapi({ description: "`websocket`: anything else is 426." }),
    "x-client-id": z.string().min(1).max(MAX_CLIENT_ID_LENGTH).optional().openapi({ description: "A relay token's client, as on a push (X-Client-Id): the session pushes as it." }),
  }),
};

/** The answer of an upgrade (a fresh object per route: `refusing` adds the route's refusals to it). */
export const liveUpgraded = () => ({ 101: { description: "Switching Protocols: the session is open; its first frame is the welcome (docs/live.md)." } });

/** The refusals of an upgrade the object makes. */
export const LIVE_REFUSALS = ["not-found", "upgrade-required", "live-backlog"] as const;

/** A ticket and the shard whose session it opens. */
export const LiveTicket = z
  .object({
    ticket: z.string().openapi({ description: "Pass as `?ticket=` to the session's GET." }),
    shard: z.string(),
    expires_at: z.string().openapi({ description: "Until when it may be redeemed (ISO 8601)." }),
  })
  .openapi("LiveTicket");

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
    request: { params: ShardParams, ...LiveUpgradeRequest },
    responses: liveUpgraded(),
  }),
  LIVE_REFUSALS,
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
            schema: LiveTicket,
          },
        },
      },
    },
  }),
  [],
);

export const live = new OpenAPIHono<EdgeEnv>()
  .openapi(postTicket, async (c) => {
    const { shard } = c.req.valid("param");
    return c.json({ ...(await liveTicket(c, shard)), shard }, 201);
  })
  .openapi(getLive, async (c) => {
    const { shard } = c.req.valid("param");
    const headers = c.req.valid("header");
    return (await openLiveSession(c, shard, shard, headers["x-client-id"], headers.upgrade)) as never;
  });
