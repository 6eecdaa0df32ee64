import { z } from "@hono/zod-openapi";
import { integerHeader, stringHeader } from "./headers";
import { binary } from "./responses";

export { ModelManifestInput } from "../../config/manifest";

const Piece = z.object({ shard: z.string(), offset: z.number().int(), length: z.number().int(), shard_offset: z.number().int() });

export const ModelInfo = z
  .object({
    name: z.string(),
    parameters: z.number().int(),
    shard_size: z.number().int(),
    tensors: z.array(z.object({ name: z.string(), shape: z.array(z.number().int()), config: z.number().int(), pieces: z.array(Piece) })),
    shards: z.array(z.object({ name: z.string(), length: z.number().int(), rule: z.string(), version: z.number().int(), revision: z.number().int() })),
    created_at: z.string(),
  })
  .openapi("ModelInfo");

export const ModelList = z
  .object({ models: z.array(z.object({ name: z.string(), parameters: z.number().int(), created_at: z.string() })) })
  .openapi("ModelList");

export const ModelPushSummary = z
  .object({ shards: z.array(z.object({ shard: z.string() }).passthrough()) })
  .openapi("ModelPushSummary", { description: "Per shard: its PushSummary (rounds mode, return=minimal, or skipped pushes)." });

export const Safetensors = binary("A safetensors file: 8-byte little-endian header length, JSON header, little-endian data.");

export const safetensors = { "application/octet-stream": { schema: Safetensors } };

export const modelHeaders = {
  ETag: stringHeader("The model's revision: a hash of its shards' revisions."),
  "X-Model-Version": integerHeader("The shards' version, when they all agree (absent otherwise; a safetensors answer has every shard's in `__metadata__.versions`)."),
};
