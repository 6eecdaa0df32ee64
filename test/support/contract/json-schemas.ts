/**
 * JSON Schema validation of bodies and header values against the document's schemas, by
 * @cfworker/json-schema (draft 2020-12, no code generation: it runs inside workerd too).
 *
 * Every schema to check is registered up front in one root document, next to the components, so
 * that `$ref: "#/components/schemas/X"` resolves against the root wherever it appears.
 */
import { dereference, validate, type OutputUnit, type Schema as CfSchema } from "@cfworker/json-schema";
import { closeSchema } from "./closed-schemas";
import type { OpenApiDocument, Schema } from "./openapi";

const ROOT_ID = "https://contract.shardstep.invalid/openapi";

/** Components whose top level stays open: RFC 9457 lets a problem carry extension members. */
const OPEN_COMPONENTS = new Set(["Problem"]);

/** Keywords whose error only says that a subschema failed; the subschema's own error says how. */
const WRAPPER_KEYWORDS = new Set(["$ref", "properties", "items", "prefixItems", "allOf", "false", "additionalItems", "unevaluatedItems", "$dynamicRef"]);

export class JsonSchemas {
  private readonly checked: { schema: Schema }[] = [];
  private readonly closedIds = new Map<Schema, number>();
  private readonly openIds = new Map<Schema, number>();
  private lookup: Record<string, CfSchema | boolean> | undefined;
  private readonly components: Record<string, Schema>;

  constructor(document: OpenApiDocument) {
    this.components = document.components?.schemas ?? {};
  }

  /**
   * Registers a schema to check instances against (closed; `openTop` for a problem's top level).
   * All registrations happen before the first check.
   */
  register(schema: Schema, openTop = false): number {
    if (this.lookup) throw new Error("JsonSchemas: register every schema before the first check");
    const ids = openTop ? this.openIds : this.closedIds;
    let id = ids.get(schema);
    if (id === undefined) {
      id = this.checked.push({ schema: closeSchema(schema, openTop) }) - 1;
      ids.set(schema, id);
    }
    return id;
  }

  /** The errors of `instance` against registered schema `id`, one line each, empty when valid. */
  check(id: number, instance: unknown): string[] {
    const lookup = (this.lookup ??= this.dereference());
    const schema = this.checked[id]!.schema;
    const result = validate(instance, schema as CfSchema, "2020-12", lookup as never, false);
    if (result.valid) return [];
    return describe(result.errors);
  }

  private dereference(): Record<string, CfSchema | boolean> {
    const schemas = Object.fromEntries(Object.entries(this.components).map(([name, s]) => [name, closeSchema(s, OPEN_COMPONENTS.has(name))]));
    const openSchemas = Object.fromEntries(Object.entries(this.components).map(([name, s]) => [name, closeSchema(s, true)]));
    const checked = Object.fromEntries(this.checked.map((c, i) => [`s${i}`, c.schema]));
    const root = { $id: ROOT_ID, components: { schemas, openSchemas }, checked };
    const lookup = dereference(root as CfSchema);
    this.checked.forEach((c, i) => (c.schema = checked[`s${i}`]!));
    return lookup as Record<string, CfSchema | boolean>;
  }
}

/**
 * Errors as `<where>: <what>`, array indices as `*` so the same fault reads the same everywhere.
 * A property whose value failed is not "evaluated", so its object also reports it as unevaluated:
 * that echo is dropped when the property's own errors are there.
 */
function describe(errors: OutputUnit[]): string[] {
  const located = new Set(errors.filter((e) => !WRAPPER_KEYWORDS.has(e.keyword)).map((e) => e.instanceLocation));
  const echoes = (e: OutputUnit) => {
    if (e.keyword !== "unevaluatedProperties" && e.keyword !== "additionalProperties") return false;
    const key = /^Property "(.*)" does not match/.exec(e.error)?.[1];
    return key !== undefined && [...located].some((l) => l === `${e.instanceLocation}/${key}` || l.startsWith(`${e.instanceLocation}/${key}/`));
  };
  const lines = errors
    .filter((e) => !WRAPPER_KEYWORDS.has(e.keyword) && !echoes(e))
    .map((e) => `${e.instanceLocation.replace(/^#/, "").replace(/\/\d+(?=\/|$)/g, "/*") || "/"}: ${e.error}`);
  return [...new Set(lines)];
}
