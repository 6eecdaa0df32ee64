import { z } from "./zod";
import { HyperparameterError, type FieldSpec, type HyperSpec } from "../optim";

/**
 * Zod schemas derived from the math's own field specs (hyperparameters, schedules), in the two
 * forms a configuration has: as a client sends it (every field optional, its default documented)
 * and as the shard resolved it (every field present).
 */
export type Form = "input" | "resolved";

function numberSchema(spec: Extract<FieldSpec, { kind: "number" | "pair" }>) {
  let s = z.number();
  if (spec.kind === "number" && spec.integer) s = s.int();
  if (spec.min !== undefined) s = s.min(spec.min);
  if (spec.max !== undefined) s = s.max(spec.max);
  if (spec.above !== undefined) s = s.gt(spec.above);
  if (spec.below !== undefined) s = s.lt(spec.below);
  return s;
}

function fieldSchema(spec: FieldSpec): z.ZodType {
  switch (spec.kind) {
    case "number":
      return numberSchema(spec);
    case "boolean":
      return z.boolean();
    case "pair":
      return z.tuple([numberSchema(spec), numberSchema(spec)]);
    case "choice":
      return z.enum(spec.choices as [string, ...string[]]);
    case "numbers":
      return z.array(z.number());
  }
}

/** An object of the spec's fields: optional with their defaults documented, or all present. */
export function specSchema(spec: HyperSpec, form: Form) {
  const field = (f: FieldSpec) => (form === "input" ? fieldSchema(f).optional().meta({ default: f.default as never }) : fieldSchema(f));
  const shape = Object.fromEntries(Object.entries(spec).map(([name, f]) => [name, field(f)]));
  return form === "input" ? z.strictObject(shape) : z.object(shape);
}

/**
 * A schema whose parse hands the value to the math's own resolver (defaults, cross-field checks),
 * reporting the resolver's refusal as an issue with its message.
 */
export function resolvedBy<T>(schema: z.ZodType, resolve: (input: unknown) => T) {
  return schema.transform((input, ctx): T => {
    try {
      return resolve(input);
    } catch (e) {
      if (!(e instanceof HyperparameterError)) throw e;
      ctx.issues.push({ code: "custom", message: e.message, input });
      return z.NEVER;
    }
  });
}

/** `path: message` for each issue, as every validation refusal words them. */
export function describeIssues(issues: readonly { path: PropertyKey[]; message: string }[], target: string): string[] {
  return issues.map((i) => `${i.path.length ? i.path.map(String).join(".") : target}: ${i.message}`);
}
