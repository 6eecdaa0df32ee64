import { z } from "zod";
import type { PushHeader, SubscribeHeader } from "../../formats/live-frames";
import { MAX_IDEMPOTENCY_KEY_LENGTH, MAX_SHARD_LENGTH } from "../../limits";
import { refuse } from "../../problems";

/** The headers a client sends, checked as strictly as the HTTP push's headers (docs/live.md). */
const count = (min: number) => z.number().int().min(min).max(Number.MAX_SAFE_INTEGER);

const PushFields = z
  .object({
    key: z.string().min(1).max(MAX_IDEMPOTENCY_KEY_LENGTH),
    base_version: count(0).optional(),
    samples: count(1).optional(),
    offset: count(0).optional(),
    answer: z.enum(["weights", "summary"]).optional(),
    chunk: z
      .object({ index: count(0), count: count(1), length: z.number().int().min(1).max(MAX_SHARD_LENGTH) })
      .strict()
      .refine((c) => c.index < c.count, { message: "chunk.index must be below chunk.count" })
      .optional(),
    loss: z.number().refine(Number.isFinite, { message: "loss must be finite" }).optional(),
    point_revision: count(0).optional(),
  })
  .strict();

const SubscribeFields = z
  .object({
    notify: z.enum(["version", "weights"]).default("version"),
    every: z.number().int().min(1).max(1_000_000).optional(),
    since: count(0).optional(),
  })
  .strict();

function parsed<T>(schema: z.ZodType<T>, header: unknown, kind: string): T {
  const result = schema.safeParse(header);
  if (result.success) return result.data;
  const errors = result.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "header"}: ${i.message}`);
  return refuse("invalid-frame", `the ${kind} frame's header is refused: ${errors.join("; ")} (docs/live.md lists its fields)`, { errors });
}

export const pushHeaderOf = (header: unknown): PushHeader => parsed(PushFields, header, "push");
export const subscribeHeaderOf = (header: unknown): SubscribeHeader => parsed(SubscribeFields, header, "subscribe");
