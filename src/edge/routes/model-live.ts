import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { LIVE_TICKET_MS } from "../../limits";
import { refuse } from "../../problems";
import { loadModel } from "../../models/registry";
import { scoped } from "../auth/middleware";
import { liveTicket, openLiveSession } from "../live-session";
import { ModelParams } from "../schemas/params";
import type { EdgeEnv } from "../types";
import { integer } from "./common";
import { LIVE_REFUSALS, LiveTicket, LiveUpgradeRequest, liveUpgraded } from "./live";
import { refusing } from "./refusals";

/**
 * A model's live sessions (docs/live.md): a model spans several shard objects and a socket ends in
 * one, so a model's session is one socket per shard, each opened through the model. It pushes as
 * the model does (the shard's owner), under the per-shard key `<key>#<index>` of the model's HTTP
 * push, so a key is applied once whether it came over HTTP or a socket.
 */

const ModelShardParams = ModelParams.extend({
  index: integer(0).openapi({ param: { name: "index", in: "path" }, description: "The shard's index in the model's layout (GET /v1/models/{model} lists them).", example: 0 }),
});

const getModelLive = refusing(
  createRoute({
    method: "get",
    path: "/v1/models/{model}/live/{index}",
    middleware: [scoped("read", "model", "open a live session on")] as const,
    tags: ["models"],
    operationId: "openModelLiveSession",
    summary: "Open a live session on one shard of a model: pushes of the model's chunk for that shard, its answers and notices.",
    description:
      "The shard session of docs/live.md on the model's shard `index`, opened through the model: its pushes are the model's (keys `<key>#<index>`, as the model's HTTP push " +
      "derives them for the shard), so a model's learner opens one session per shard and sends each its chunk. Authenticated as GET /v1/shards/{shard}/live, " +
      "with the scopes on the model's name.",
    request: { params: ModelShardParams, ...LiveUpgradeRequest },
    responses: liveUpgraded(),
  }),
  LIVE_REFUSALS,
);

const postModelTickets = refusing(
  createRoute({
    method: "post",
    path: "/v1/models/{model}/live/tickets",
    middleware: [scoped("read", "model", "open a live session on")] as const,
    tags: ["models"],
    operationId: "createModelLiveTickets",
    summary: "One single-use ticket per shard of the model, each opening GET /v1/models/{model}/live/{index}.",
    description: `Each ticket is good once, for ${LIVE_TICKET_MS / 1000} s, for its shard, with this token's subject, scopes and expiry.`,
    request: { params: ModelParams },
    responses: {
      201: {
        description: "The tickets, by the shards' indices.",
        content: { "application/json": { schema: z.object({ tickets: z.array(LiveTicket.extend({ index: z.number().int() })) }) } },
      },
    },
  }),
  ["not-found"],
);

export const modelLive = new OpenAPIHono<EdgeEnv>()
  .openapi(postModelTickets, async (c) => {
    const model = await loadModel(c.env, c.req.valid("param").model);
    const tickets = await Promise.all(model.layout.shards.map(async (s, index) => ({ ...(await liveTicket(c, s.name)), shard: s.name, index })));
    return c.json({ tickets }, 201);
  })
  .openapi(getModelLive, async (c) => {
    const { model: name, index } = c.req.valid("param");
    const headers = c.req.valid("header");
    const model = await loadModel(c.env, name);
    const shard = model.layout.shards[index] ?? refuse("not-found", `model '${name}' has ${model.layout.shards.length} shards (0 to ${model.layout.shards.length - 1}), not ${index}`);
    return (await openLiveSession(c, shard.name, name, headers["x-client-id"], headers.upgrade, { name, index })) as never;
  });
