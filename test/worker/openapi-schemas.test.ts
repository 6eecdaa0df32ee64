import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import specText from "../../openapi.yaml?raw";

/**
 * Every part of every answer's schema in openapi.yaml says what it is: a type, a reference, a
 * union or an enum, never "anything". The one exception is a problem's extension members (RFC 9457
 * §3.2), which each problem type defines for itself.
 */
type Node = Record<string, unknown>;
const spec = parse(specText) as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: Node }> }> }>>; components: { schemas: Record<string, Node> } };

const CONSTRAINING = ["type", "$ref", "oneOf", "anyOf", "allOf", "enum", "const"];
const ALLOWED = new Set(["#/components/schemas/Problem/additionalProperties"]);
const isEmpty = (v: unknown) => v === true || (typeof v === "object" && v !== null && Object.keys(v).length === 0);

/** The paths of the unconstrained parts of `schema`, following references into the components once each. */
function unconstrained(schema: Node, at: string, seen: Set<string>, found: string[]): void {
  if (!CONSTRAINING.some((k) => k in schema)) found.push(at);
  if ("additionalProperties" in schema && isEmpty(schema.additionalProperties) && !("allOf" in schema) && !ALLOWED.has(`${at}/additionalProperties`)) found.push(`${at}/additionalProperties`);
  const ref = schema.$ref;
  if (typeof ref === "string") {
    if (seen.has(ref)) return;
    seen.add(ref);
    const name = ref.slice("#/components/schemas/".length);
    unconstrained(spec.components.schemas[name]!, ref, seen, found);
    return;
  }
  const children: [string, unknown][] = [
    ...Object.entries((schema.properties ?? {}) as Record<string, unknown>).map(([k, v]): [string, unknown] => [`properties/${k}`, v]),
    ...(["items", "additionalProperties", "not"] as const).map((k): [string, unknown] => [k, schema[k]]),
    ...(["oneOf", "anyOf", "allOf", "prefixItems"] as const).flatMap((k) => ((schema[k] ?? []) as unknown[]).map((v, i): [string, unknown] => [`${k}/${i}`, v])),
  ];
  for (const [key, child] of children) if (typeof child === "object" && child !== null && !isEmpty(child)) unconstrained(child as Node, `${at}/${key}`, seen, found);
}

describe("openapi.yaml's answers", () => {
  it("constrain every part of every body: no part is typed as anything", () => {
    const found: string[] = [];
    const seen = new Set<string>();
    let bodies = 0;
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, answer] of Object.entries(op.responses)) {
          for (const [type, media] of Object.entries(answer.content ?? {})) {
            bodies++;
            unconstrained(media.schema, `${method} ${path} ${status} ${type}`, seen, found);
          }
        }
      }
    }
    expect(bodies).toBeGreaterThan(100);
    expect(found).toEqual([]);
  });
});
