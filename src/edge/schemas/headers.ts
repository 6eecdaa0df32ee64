import type { z } from "@hono/zod-openapi";

/**
 * Response headers as the spec declares them, each with the schema of its value: integers as
 * integers, closed vocabularies as enums (generators type headers from these).
 */
export const integerHeader = (description: string) => ({ description, schema: { type: "integer" as const, minimum: 0 } });
export const numberHeader = (description: string) => ({ description, schema: { type: "number" as const } });
export const stringHeader = (description: string) => ({ description, schema: { type: "string" as const } });
export const enumHeader = (description: string, values: readonly string[]) => ({ description, schema: { type: "string" as const, enum: [...values] } });
/** A header whose values are those of a zod enum (one definition: the body's field and the header). */
export const zodEnumHeader = (description: string, values: z.ZodEnum<Readonly<Record<string, string>>>) => enumHeader(description, values.options);

/** X-Checkpoints: the checkpoints an ensemble of checkpoints averaged (a shard's or a model's). */
export const checkpointsHeader = {
  "X-Checkpoints": { description: "The ids of the checkpoints averaged, comma-separated, increasing.", schema: { type: "string" as const, pattern: "^[0-9]+(,[0-9]+)*$" } },
};
