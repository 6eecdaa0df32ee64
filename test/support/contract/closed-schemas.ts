/**
 * Object schemas as the contract means them: closed. A JSON Schema object accepts properties it does
 * not declare unless told otherwise, so a field the server sends but the spec forgot would pass. Every
 * object schema that says nothing about other properties (no additionalProperties,
 * unevaluatedProperties or patternProperties) gets `unevaluatedProperties: false`.
 *
 * Composition decides where the closing goes: a member of allOf (or of a oneOf/anyOf/if beside the
 * object's own properties) only contributes properties, so it stays open and the schema holding the
 * composition closes over what all of them evaluated. A `$ref` in such an open place points at the
 * open variant of the component (`#/components/openSchemas/<name>`).
 */
import type { Schema } from "./openapi";

const SCHEMA_MAPS = ["properties", "patternProperties", "$defs", "dependentSchemas"];
const SCHEMAS = ["additionalProperties", "unevaluatedProperties", "items", "contains", "propertyNames", "not", "unevaluatedItems"];
const OPENINGS = ["additionalProperties", "unevaluatedProperties", "patternProperties"];

export const COMPONENT_REF = "#/components/schemas/";
export const OPEN_COMPONENT_REF = "#/components/openSchemas/";

/** A copy of `schema` with its objects closed; `open` leaves the top level open (its holder closes it). */
export function closeSchema(schema: Schema, open = false): Schema {
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Record<string, unknown> = { ...schema };
  if (open && typeof out.$ref === "string" && out.$ref.startsWith(COMPONENT_REF)) out.$ref = OPEN_COMPONENT_REF + out.$ref.slice(COMPONENT_REF.length);
  for (const key of SCHEMA_MAPS) {
    const map = out[key];
    if (isRecord(map)) out[key] = Object.fromEntries(Object.entries(map).map(([k, v]) => [k, closeSchema(v as Schema)]));
  }
  for (const key of SCHEMAS) if (isSchema(out[key])) out[key] = closeSchema(out[key] as Schema);
  if (Array.isArray(out.prefixItems)) out.prefixItems = out.prefixItems.map((s: Schema) => closeSchema(s));
  const ownObject = "properties" in out || hasType(out, "object");
  if (Array.isArray(out.allOf)) out.allOf = out.allOf.map((s: Schema) => closeSchema(s, true));
  for (const key of ["anyOf", "oneOf"]) {
    const members = out[key];
    if (Array.isArray(members)) out[key] = members.map((s: Schema) => closeSchema(s, open || ownObject));
  }
  for (const key of ["if", "then", "else"]) if (isSchema(out[key])) out[key] = closeSchema(out[key] as Schema, true);
  const composesObject = Array.isArray(out.allOf) || (ownObject && (Array.isArray(out.anyOf) || Array.isArray(out.oneOf) || "if" in out));
  if (!open && (ownObject || composesObject) && !OPENINGS.some((k) => k in out)) out.unevaluatedProperties = false;
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isSchema = (v: unknown) => isRecord(v) || typeof v === "boolean";
const hasType = (s: Record<string, unknown>, type: string) => s.type === type || (Array.isArray(s.type) && s.type.includes(type));
