import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { refusing, STATE_IMPORT_REFUSALS } from "./refusals";
import type { Context } from "hono";
import { MAX_STATE_BODY_BYTES } from "../../limits";
import { refuse } from "../../problems";
import { shardClient } from "../../shard/client";
import type { StateExport } from "../../shard/state-io/export";
import type { StateImportResult } from "../../shard/state-io/state-io";
import { scoped } from "../auth/middleware";
import { idempotencyKeyHeader, replayedResponseHeader, replayHeaders } from "../idempotency";
import { readBodyStream, type BodyKind } from "../body";
import { ensureAcceptable, mediaType, OCTET_STREAM, unsupportedMediaType, versionHeadersOf } from "../floats";
import { integerHeader } from "../schemas/headers";
import { ShardParams } from "../schemas/params";
import { safetensors } from "../schemas/models";
import type { EdgeEnv } from "../types";
import { json, vectorResponseHeaders } from "./common";
import { revisionOf } from "./weights";

/** The optimizer state of a shard in and out as safetensors (docs/state.md). */

const stateHeaders = {
  ...vectorResponseHeaders,
  "X-Shard-Step": integerHeader("The optimizer's step (the `step` tensor)."),
};

const getState = refusing(
  createRoute({
    method: "get",
    path: "/v1/shards/{shard}/state",
    middleware: [scoped("read", "shard")] as const,
    tags: ["weights"],
    operationId: "getShardState",
    summary: "The optimizer state as safetensors: the weights, every slot under PyTorch's name, the step and the rule's scalars.",
    description:
      "Tensors: `weights` (F32 [length]), each slot of the rule (`exp_avg`, `exp_avg_sq`, `momentum_buffer`, ...: F32 of the slot's length), `step` and each scalar " +
      "of the rule (`mu_product`, ...) as F64 0-d tensors. `__metadata__` holds `rule`, `hyper` (the resolved hyperparameters, JSON), `version`, `revision`, `step`. " +
      "Streamed: the answer may be larger than any one RPC. It is one state of the shard: if the shard changes while it streams, the answer ends short of its Content-Length; read again.",
    request: { params: ShardParams },
    responses: {
      200: { description: "The state file.", headers: stateHeaders, content: safetensors },
    },
  }),
  ["not-found"],
);

const ImportResult = z
  .object({
    version: z.number().int().openapi({ description: "The shard's version after the import (one more than before)." }),
    revision: z.number().int().openapi({ description: "The shard's revision after the import (its new ETag)." }),
    step: z.number().int().openapi({ description: "The imported step." }),
  })
  .openapi("StateImportResult");

const putState = refusing(
  createRoute({
    method: "put",
    path: "/v1/shards/{shard}/state",
    middleware: [scoped("admin", "shard")] as const,
    tags: ["weights"],
    operationId: "putShardState",
    summary: "Import an optimizer state file (as GET answers it) as one new version: weights, slots, step and scalars replaced together.",
    description:
      "Every tensor the shard keeps must be there and no other: vectors F32 of their exact length, `step` and the scalars 0-d F64 or F32, every value finite, " +
      "`step` a non-negative whole number, each scalar within its rule's range. Any mismatch is refused and changes nothing; averages are left as they are. " +
      `Once training has started (version > 0) an import must carry If-Match with the current ETag. At most ${MAX_STATE_BODY_BYTES} bytes, streamed to the shard.`,
    request: {
      params: ShardParams,
      headers: z.object({
        "if-match": z.string().optional().openapi({ description: "The ETag the import expects the shard to be at." }),
        "idempotency-key": idempotencyKeyHeader("A retry with the same key and body answers the first import and changes nothing."),
      }),
      body: { required: true, content: safetensors },
    },
    responses: {
      200: {
        description: "Imported (or, replayed, imported by the first request with this Idempotency-Key).",
        headers: { ...vectorResponseHeaders, ...replayedResponseHeader },
        content: json(ImportResult),
      },
    },
  }),
  STATE_IMPORT_REFUSALS,
);

/** The streamed answer of an export. */
function stateResponse(c: Context, state: StateExport): Response {
  return c.body(state.body, 200, {
    "content-type": OCTET_STREAM,
    "content-length": String(state.byteLength),
    "x-shard-step": String(state.step),
    ...versionHeadersOf(state),
  });
}

/** The body of an import (a shard's or a model's): safetensors, streamed within the kind's limit. */
export function safetensorsBody(c: Context, kind: BodyKind, what: string): ReadableStream<Uint8Array> {
  const type = c.req.header("content-type");
  if (mediaType(type) !== OCTET_STREAM) throw unsupportedMediaType(type, [`${OCTET_STREAM} (safetensors)`]);
  return readBodyStream(c, kind, what) ?? refuse("invalid-safetensors", `${what} is empty: send a safetensors file`);
}

const imported = (c: Context, result: StateImportResult) => {
  return c.json({ version: result.version, revision: result.revision, step: result.step }, 200, { ...versionHeadersOf(result), ...replayHeaders(result.replayed) });
};

export const state = new OpenAPIHono<EdgeEnv>()
  .openapi(getState, async (c) => {
    const { shard } = c.req.valid("param");
    ensureAcceptable(c, [OCTET_STREAM]);
    return stateResponse(c, await shardClient(c.env, shard).exportState());
  })
  .openapi(putState, async (c) => {
    const { shard } = c.req.valid("param");
    const headers = c.req.valid("header");
    const body = safetensorsBody(c, "state", "the state file");
    const principal = c.get("principal");
    const result = await shardClient(c.env, shard).importState(body, {
      ifMatch: headers["if-match"] === undefined ? undefined : revisionOf(headers["if-match"], "If-Match"),
      idempotencyKey: headers["idempotency-key"],
      subject: principal?.sub,
    });
    return imported(c, result);
  });
