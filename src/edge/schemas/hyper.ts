import { z } from "@hono/zod-openapi";
import type { FieldSpec, HyperSpec } from "../../optim";

/**
 * Zod schemas derived from the math's own hyperparameter specs, so that the OpenAPI document and
 * request validation cannot drift from what the rules and schedules accept.
 */
function numberSchema(spec: Extract<FieldSpec, { kind: "number" | "pair" }>) {
  let s = z.number();
  if (spec.kind === "number" && spec.integer) s = s.int();
  if (spec.min !== undefined) s = s.min(spec.min);
  if (spec.max !== undefined) s = s.max(spec.max);
  if (spec.above !== undefined) s = s.gt(spec.above);
  if (spec.below !== undefined) s = s.lt(spec.below);
  return s;
}

export function fieldSchema(spec: FieldSpec): z.ZodType {
  switch (spec.kind) {
    case "number":
      return numberSchema(spec).openapi({ default: spec.default });
    case "boolean":
      return z.boolean().openapi({ default: spec.default });
    case "pair":
      return z.tuple([numberSchema(spec), numberSchema(spec)]).openapi({ default: [...spec.default] });
    case "choice":
      return z.enum(spec.choices as [string, ...string[]]).openapi({ default: spec.default });
    case "numbers":
      return z.array(z.number()).openapi({ default: [...spec.default] });
  }
}

export function hyperSchema(spec: HyperSpec) {
  return z.strictObject(Object.fromEntries(Object.entries(spec).map(([name, field]) => [name, fieldSchema(field).optional()])));
}
