import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { refusing, STATE_IMPORT_REFUSALS } from "./refusals";
import { MAX_MODEL_BODY_BYTES } from "../../limits";
import { fanOut, valuesOfEveryShard } from "../../models/fan-out";
import { loadModel } from "../../models/registry";
import { exportModelState, importModelState } from "../../models/state";
import { scoped } from "../auth/middleware";
import { ensureAcceptable } from "../floats";
import { idempotencyKeyHeader, replayedByEvery, replayedResponseHeader, replayHeaders } from "../idempotency";
import { modelETag, modelETagOf, modelVersionHeadersOf, SAFETENSORS } from "../safetensors-response";
import { ModelParams } from "../schemas/params";
import { modelHeaders, safetensors } from "../schemas/models";
import type { EdgeEnv } from "../types";
import { json } from "./common";
import { safetensorsBody } from "./state";

/** A model's optimizer state in and out as safetensors, per tensor (docs/state.md). */

const getModelState = refusing(
  createRoute({
    method: "get",
    path: "/v1/models/{model}/state",
    middleware: [scoped("read", "model")] as const,
    tags: ["models"],
    operationId: "getModelState",
    summary: "The model's optimizer state as safetensors, per tensor: `<tensor>` (weights), `<tensor>#<slot>` (PyTorch's names), `<tensor>#step` and `<tensor>#<scalar>`.",
    description:
      "Slots are F32 in the tensor's shape; the step and the scalars F64 0-d tensors. Streamed from the shards' own exports (no size limit beyond the model's). " +
      "`__metadata__.versions` maps every shard to its version. If a shard changes while the answer streams, it ends short of its Content-Length: read again.",
    request: { params: ModelParams },
    responses: {
      200: { description: "The state file.", headers: modelHeaders, content: safetensors },
    },
  }),
  ["not-found", "state-mismatch", "version-mismatch", "partial-failure"],
);

const ModelStateImport = z
  .object({
    shards: z.array(z.object({ shard: z.string(), version: z.number().int(), revision: z.number().int(), step: z.number().int(), replayed: z.boolean() })),
  })
  .openapi("ModelStateImport");

const putModelState = refusing(
  createRoute({
    method: "put",
    path: "/v1/models/{model}/state",
    middleware: [scoped("admin", "model")] as const,
    tags: ["models"],
    operationId: "putModelState",
    summary: "Import a model's optimizer state file (as GET answers it): every shard imports its part as one new version, in parallel.",
    description:
      "Every tensor of the model with every part its rule keeps, and no other; tensors that share a shard share its step and scalars. " +
      `Read whole, at most ${MAX_MODEL_BODY_BYTES} bytes (larger states are imported shard by shard). Once training has started, If-Match must name the model's ETag. ` +
      "Each shard gets its own Idempotency-Key (`<key>#<index>`): a retry with the same key completes an import that some shards did not make (502).",
    request: {
      params: ModelParams,
      headers: z.object({
        "if-match": z.string().optional().openapi({ description: "The model's ETag (GET /v1/models/{model}/weights)." }),
        "idempotency-key": idempotencyKeyHeader("A retry with the same key and body imports nothing twice."),
      }),
      body: { required: true, content: safetensors },
    },
    responses: {
      200: { description: "Every shard imported its part (or had, for a retry).", headers: { ETag: modelHeaders.ETag, ...replayedResponseHeader }, content: json(ModelStateImport) },
    },
  }),
  [...STATE_IMPORT_REFUSALS, "partial-failure"],
);

export const modelState = new OpenAPIHono<EdgeEnv>()
  .openapi(getModelState, async (c) => {
    const { model } = c.req.valid("param");
    ensureAcceptable(c, [SAFETENSORS]);
    const loaded = await loadModel(c.env, model);
    const state = await exportModelState(c.env, loaded);
    return c.body(state.body, 200, { "content-type": SAFETENSORS, "content-length": String(state.byteLength), ...modelVersionHeadersOf(loaded.layout, state.revisions) });
  })
  .openapi(putModelState, async (c) => {
    const { model } = c.req.valid("param");
    const headers = c.req.valid("header");
    const ifMatch = headers["if-match"] === undefined ? undefined : modelETagOf(headers["if-match"], "If-Match");
    const body = safetensorsBody(c, "safetensors", "the model's state file");
    const loaded = await loadModel(c.env, model);
    const infos = valuesOfEveryShard(loaded, await fanOut(c.env, loaded, (shard) => shard.info()), "the import", "send it again");
    const results = await importModelState(c.env, loaded, infos, body, {
      idempotencyKey: headers["idempotency-key"],
      subject: c.get("principal")?.sub,
      ifMatch: ifMatch === undefined ? undefined : ifMatch === modelETag(loaded.layout, infos) ? "current" : "stale",
    });
    return c.json({ shards: [...results].map(([shard, r]) => ({ shard, ...r })) }, 200, { etag: modelETag(loaded.layout, results), ...replayHeaders(replayedByEvery(results.values())) });
  });
