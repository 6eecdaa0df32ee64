/**
 * The AsyncAPI 3.0 document of live sessions (asyncapi.yaml), built from the frame kinds
 * (src/formats/live-frames.ts) and their header schemas (src/formats/live-frame-schemas.ts).
 * Operations are the server's: it receives what a client sends and sends what a client receives.
 */
import { z } from "zod";
import { FRAME_PREFIX_BYTES, FrameKind, LIVE_PROTOCOL_VERSION, MAX_FRAME_HEADER_BYTES, type FrameKindName } from "../../src/formats/live-frames";
import { LIVE_HEADER_SCHEMAS } from "../../src/formats/live-frame-schemas";

const LAYOUT = `Every WebSocket message but the text ping is one binary frame (src/formats/live-frames.ts):

| bytes | what |
|---|---|
| 0 | the frame kind (a u8; the message's \`x-frame-kind\`) |
| 1 | the protocol version, ${LIVE_PROTOCOL_VERSION} |
| 2..3 | H, the header's length in bytes: a little-endian u16, a multiple of 4, at most ${MAX_FRAME_HEADER_BYTES} |
| ${FRAME_PREFIX_BYTES}..${FRAME_PREFIX_BYTES}+H | the header: one JSON object in UTF-8, padded with trailing spaces (the message's \`headers\` schema) |
| then | the payload: little-endian float32 (a gradient, weights), possibly empty |

The payload starts 4-byte aligned, so a receiver reads it as a Float32Array view without a copy.`;

/** Whether a kind's frames come from the client (kinds 1–15) or the shard (16 and above). */
const fromClient = (kind: FrameKindName): boolean => FrameKind[kind] < 16;

const pascal = (kind: FrameKindName): string => kind[0]!.toUpperCase() + kind.slice(1);

function message(kind: FrameKindName) {
  const schema = LIVE_HEADER_SCHEMAS[kind];
  const { $schema: _, ...headers } = z.toJSONSchema(schema, { target: "draft-07", io: "input" }) as Record<string, unknown>;
  return {
    name: kind,
    title: `${pascal(kind)} frame`,
    summary: schema.description ?? kind,
    contentType: "application/octet-stream",
    "x-frame-kind": FrameKind[kind],
    headers,
    payload: {
      type: "string",
      format: "binary",
      description: `The whole frame: byte 0 is ${FrameKind[kind]} (${kind}), byte 1 the protocol version, bytes 2..3 the header's length, then the JSON header described by \`headers\`, then the float32 payload. See the channel's description.`,
    },
    // The WebSocket binding of a message is an empty object (reserved by the bindings spec).
    bindings: { ws: {} },
  };
}

const kinds = Object.keys(FrameKind) as FrameKindName[];
const ref = (path: string) => ({ $ref: path });
const security = [ref("#/components/securitySchemes/bearer"), ref("#/components/securitySchemes/ticket")];

/** The live channels: a shard's session, and a model's session on one of its shards (docs/live.md). */
const CHANNELS = [
  {
    id: "shardLive",
    address: "/v1/shards/{shard}/live",
    title: "A shard's live session",
    tickets: "POST /v1/shards/{shard}/live/tickets",
    parameters: { shard: { description: "The shard's name." } },
  },
  {
    id: "modelShardLive",
    address: "/v1/models/{model}/live/{index}",
    title: "A model's live session on its shard `index`",
    tickets: "POST /v1/models/{model}/live/tickets (one per shard)",
    parameters: { model: { description: "The model's name." }, index: { description: "The shard's place in the model's layout (GET /v1/models/{model})." } },
  },
] as const;

function channelOf(channel: (typeof CHANNELS)[number]) {
  return {
    address: channel.address,
    title: channel.title,
    description: `GET upgrades to a WebSocket, authenticated once: a bearer header, or (browsers, which cannot set headers on a WebSocket) \`?ticket=\` from \`${channel.tickets}\` (openapi.yaml), single-use and short-lived. The shard sends \`welcome\` first.\n\n${LAYOUT}`,
    parameters: channel.parameters,
    messages: Object.fromEntries(kinds.map((kind) => [kind, ref(`#/components/messages/${kind}`)])),
    bindings: {
      ws: {
        method: "GET",
        query: { type: "object", properties: { ticket: { type: "string", description: "A single-use ticket (instead of the Authorization header)." } } },
        headers: { type: "object", properties: { Authorization: { type: "string", description: "Bearer <token> (instead of a ticket)." } } },
        bindingVersion: "0.1.0",
      },
    },
  };
}

function operationOf(channel: string, kind: FrameKindName) {
  const at = (k: string) => ref(`#/channels/${channel}/messages/${k}`);
  const operation = {
    action: fromClient(kind) ? "receive" : "send",
    channel: ref(`#/channels/${channel}`),
    summary: LIVE_HEADER_SCHEMAS[kind].description,
    messages: [at(kind)],
    security,
    ...(kind === "push" ? { reply: { channel: ref(`#/channels/${channel}`), messages: ["answer", "receipt", "problem"].map(at) } } : {}),
  };
  return [`${channel}.${fromClient(kind) ? "receive" : "send"}${pascal(kind)}`, operation] as const;
}

export function asyncApiDocument() {
  return {
    asyncapi: "3.0.0",
    info: {
      title: "shardstep live sessions",
      version: "1.0.0",
      description:
        "Pushes and new weights over one hibernatable WebSocket per shard (docs/live.md). The HTTP API is described by openapi.yaml; " +
        "every HTTP guarantee holds on a socket: exactly-once by Idempotency-Key across reconnects, atomic steps, the same validation, rate limits and problems. " +
        "Operations are the server's: it receives the frames a client sends and sends the frames a client receives.",
      license: { name: "MIT", url: "https://opensource.org/license/mit" },
    },
    defaultContentType: "application/octet-stream",
    servers: {
      local: {
        host: "127.0.0.1:8787",
        protocol: "ws",
        description: "`npm start` (wrangler dev); a deployment answers wss: on its own host.",
        security,
      },
    },
    channels: Object.fromEntries(CHANNELS.map((channel) => [channel.id, channelOf(channel)])),
    operations: Object.fromEntries(CHANNELS.flatMap((channel) => kinds.map((kind) => operationOf(channel.id, kind)))),
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "A shardstep token (docs/auth.md) in the upgrade's Authorization header." },
        ticket: { type: "httpApiKey", name: "ticket", in: "query", description: "A ticket from POST /v1/shards/{shard}/live/tickets, redeemable once, for the shard it names." },
      },
      messages: Object.fromEntries(kinds.map((kind) => [kind, message(kind)])),
    },
  };
}
