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
 * A property whose value failed is not "evaluated", and neither is any property of an alternative
 * or member that failed, so the object also reports them as unevaluated: those echoes are dropped
 * when the object has errors of its own (an undeclared property shows alone once they are fixed).
 */
function describe(errors: OutputUnit[]): string[] {
  const kept = closestAlternatives(errors).filter((e) => !WRAPPER_KEYWORDS.has(e.keyword));
  const isEcho = (e: OutputUnit) => e.keyword === "unevaluatedProperties" || e.keyword === "additionalProperties";
  const causes = kept.filter((e) => !isEcho(e)).map((e) => e.instanceLocation);
  const echoes = (e: OutputUnit) => {
    if (!isEcho(e)) return false;
    const key = /^Property "(.*)" does not match/.exec(e.error)?.[1];
    const under = (l: string, at: string) => l === at || l.startsWith(`${at}/`);
    const ownErrors = key !== undefined && kept.some((o) => o !== e && under(o.instanceLocation, `${e.instanceLocation}/${key}`));
    return ownErrors || (e.keyword === "unevaluatedProperties" && causes.some((l) => under(l, e.instanceLocation)));
  };
  const lines = kept.filter((e) => !echoes(e)).map((e) => `${e.instanceLocation.replace(/^#/, "").replace(/\/\d+(?=\/|$)/g, "/*") || "/"}: ${e.error}`);
  return [...new Set(lines)];
}

/**
 * A failed oneOf/anyOf reports the errors of every alternative, most of them about alternatives
 * the instance never meant (another rule's hyperparameters). Kept: the errors of the alternative
 * the instance was closest to — one whose discriminating member (an enum or const property right
 * under the union) matched, with the fewest errors — or the union's own error when that has none.
 */
function closestAlternatives(errors: OutputUnit[]): OutputUnit[] {
  const out: OutputUnit[] = [];
  for (let i = 0; i < errors.length; ) {
    const e = errors[i]!;
    i++;
    if (e.keyword !== "oneOf" && e.keyword !== "anyOf") {
      out.push(e);
      continue;
    }
    const prefix = `${e.keywordLocation}/`;
    const branches = new Map<string, OutputUnit[]>();
    // A `false` schema's error carries the instance's location as its keyword location: it belongs to the error before it.
    let branch = "";
    for (; i < errors.length && (errors[i]!.keywordLocation.startsWith(prefix) || errors[i]!.keyword === "false"); i++) {
      if (errors[i]!.keyword !== "false") branch = errors[i]!.keywordLocation.slice(prefix.length).split("/")[0]!;
      branches.set(branch, [...(branches.get(branch) ?? []), errors[i]!]);
    }
    const distance = (branch: OutputUnit[]) => (branch.some((b) => discriminates(b, e.instanceLocation)) ? 1e9 : 0) + branch.filter(own).length;
    const closest = [...branches.values()].map(closestAlternatives).sort((a, b) => distance(a) - distance(b))[0];
    if (closest && closest.some(own)) out.push(...closest);
    else out.push(e);
  }
  return out;
}

const own = (e: OutputUnit) => !WRAPPER_KEYWORDS.has(e.keyword);

/** Whether `e` is a mismatch of a discriminating member: an enum or const on a property right under `where`. */
const discriminates = (e: OutputUnit, where: string) =>
  (e.keyword === "enum" || e.keyword === "const") && e.instanceLocation.slice(0, e.instanceLocation.lastIndexOf("/")) === where;
