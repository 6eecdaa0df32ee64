import { z } from "./zod";
import { DEFAULT_MODEL_SHARD_SIZE, MAX_MODEL_TENSORS, MAX_SHARD_LENGTH } from "../limits";
import { MODEL_SHARD_CONFIG } from "./shard";

/**
 * A model's manifest as a client sends it (docs/models.md): its shape. What a shape cannot say
 * (names, duplicates, the model's size, every shard's configuration) is checked by
 * src/models/manifest.ts.
 */
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A shard configuration without `length`, described as what it must be (ModelShardConfig,
 * src/config/shard.ts) but checked here as an object only: src/models/manifest.ts checks it whole
 * and answers invalid-manifest or invalid-config naming the field.
 */
const ShardConfigWithoutLength = z
  .any()
  .refine(isObject, { error: "expected a shard configuration (an object)" })
  .meta({
    description: "A shard configuration (ShardConfigInput) without `length`: rule, hyper, schedule, averages, aggregation, ...",
    allOf: [{ $ref: `#/components/schemas/${MODEL_SHARD_CONFIG}` }],
  });

export const ModelManifestInput = z
  .object({
    tensors: z
      .array(z.object({ name: z.string(), shape: z.array(z.number().int().min(1)), dtype: z.literal("F32").optional() }))
      .min(1)
      .max(MAX_MODEL_TENSORS)
      .meta({ description: "The model's tensors, in the order they are laid out on shards." }),
    shard_size: z.number().int().min(1).max(MAX_SHARD_LENGTH).optional().meta({ default: DEFAULT_MODEL_SHARD_SIZE, description: "Floats per shard at most." }),
    config: ShardConfigWithoutLength,
    overrides: z
      .array(z.object({ match: z.string().meta({ description: "A glob on tensor names (`*`, `?`)." }), config: ShardConfigWithoutLength }))
      .optional()
      .meta({ description: "Per-tensor configurations; the first match wins, else `config`." }),
  })
  .meta({ id: "ModelManifest" });
