import { z } from "@hono/zod-openapi";
import { Float32Bytes, FloatsJson } from "../schemas/responses";
import { integerHeader, stringHeader } from "../schemas/headers";

/** A JSON body or answer of this schema. */
export const json = <S extends z.ZodType>(schema: S) => ({ "application/json": { schema } });

export const floatsContent = {
  "application/octet-stream": { schema: Float32Bytes },
  "application/json": { schema: FloatsJson },
};

/** The OpenAPI description of the headers that say which state of the shard a vector is (src/edge/floats.ts versionHeadersOf). */
export const vectorResponseHeaders = {
  ETag: stringHeader("The shard's revision (changes of the weights), quoted."),
  "X-Shard-Version": integerHeader("Updates applied."),
  "X-Shard-Revision": integerHeader("Changes of the weights (updates and uploads)."),
};

const DIGITS = /^[0-9]+$/;

/**
 * A whole number in a query, header or path: decimal digits only (no sign, space, point, exponent
 * or hex; an empty value is refused too), then at least `min` and a safe integer. Described as an integer.
 */
export const integer = (min: number, max?: number) => {
  const number = z.number({ error: "expected a whole number written with the digits 0-9 only" }).int().min(min);
  return z.preprocess((value) => (typeof value === "string" && DIGITS.test(value) ? Number(value) : value), max === undefined ? number : number.max(max));
};

export const count = (what: string) => integer(0).optional().openapi({ description: what });

/** A range of a vector: `offset` and `length` in floats. */
export const RangeQuery = z.object({
  offset: count("First element of the range (default 0)."),
  length: count("Number of elements (default: to the end)."),
});
