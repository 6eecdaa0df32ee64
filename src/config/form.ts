import { z } from "./zod";
import type { Form } from "./fields";

/**
 * A configuration written once as a function of its form: `input` (what a client sends; omitted
 * fields take their defaults when parsed) or `resolved` (what the shard keeps and answers).
 */
export const withDefault = <S extends z.ZodType>(form: Form, schema: S, value: z.output<S>) =>
  (form === "input" ? schema.default(value as never) : schema) as S;

/** A named component of openapi.yaml: `Name` as clients send it, `ResolvedName` as the shard answers it. */
export const named = <S extends z.ZodType>(form: Form, schema: S, id: string, description: string): S =>
  schema.meta({ id: form === "input" ? id : `Resolved${id}`, description }) as S;

/** A strict object in the input form (unknown keys refused); a plain one as resolved. */
export const section = <S extends z.ZodRawShape>(form: Form, shape: S): z.ZodObject<S> =>
  (form === "input" ? z.strictObject(shape) : z.object(shape)) as unknown as z.ZodObject<S>;
