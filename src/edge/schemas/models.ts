import { z } from "@hono/zod-openapi";
import { DEFAULT_MODEL_SHARD_SIZE, MAX_MODEL_TENSORS, MAX_SHARD_LENGTH } from "../../limits";

const ShardConfigWithoutLength = z
  .record(z.string(), z.unknown())
  .openapi({ description: "A shard configuration (ShardConfigInput) without `length`: rule, hyper, schedule, averages, aggregation, ..." });

export const ModelManifestInput = z
  .object({
    tensors: z
      .array(z.object({ name: z.string(), shape: z.array(z.number().int().min(1)), dtype: z.literal("F32").optional() }))
      .min(1)
      .max(MAX_MODEL_TENSORS)
      .openapi({ description: "The model's tensors, in the order they are laid out on shards." }),
    shard_size: z.number().int().min(1).max(MAX_SHARD_LENGTH).optional().openapi({ default: DEFAULT_MODEL_SHARD_SIZE, description: "Floats per shard at most." }),
    config: ShardConfigWithoutLength,
    overrides: z
      .array(z.object({ match: z.string().openapi({ description: "A glob on tensor names (`*`, `?`)." }), config: ShardConfigWithoutLength }))
      .optional()
      .openapi({ description: "Per-tensor configurations; the first match wins, else `config`." }),
  })
  .openapi("ModelManifest");

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

export const Safetensors = z
  .string()
  .openapi({ type: "string", contentMediaType: "application/octet-stream", description: "A safetensors file: 8-byte little-endian header length, JSON header, little-endian data." } as never);

export const safetensors = { "application/octet-stream": { schema: Safetensors } };

export const modelHeaders = {
  ETag: { description: "The model's revision: a hash of its shards' revisions.", schema: { type: "string" as const } },
  "X-Model-Version": { description: "The shards' version, when they all agree (their versions are in `__metadata__.versions`).", schema: { type: "integer" as const } },
};
