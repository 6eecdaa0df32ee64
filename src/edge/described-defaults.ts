/**
 * The spec's defaults as words. A property whose schema carries `default` is typed as always present
 * by generators that read schemas as answers (openapi-typescript's defaultNonNullable, on by
 * default), which makes every request field with a server default required in a client. The
 * schemas that carry defaults are the ones clients send (src/config's input form; answers are
 * resolved, every field present), so each `default` is said in its schema's description instead.
 */
function described(node: unknown, inProperties = false): unknown {
  if (Array.isArray(node)) return node.map((item) => described(item));
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    // Under `properties` a key is a property's name, not a keyword.
    if (key === "default" && !inProperties) continue;
    out[key] = described(value, key === "properties" && !inProperties);
  }
  if (!inProperties && "default" in node && node.default !== undefined) {
    const said = `Default: ${JSON.stringify(node.default)}.`;
    out.description = "description" in node && typeof node.description === "string" ? `${node.description} ${said}` : said;
  }
  return out;
}

/** The document with every schema's `default` said in its description instead. */
export const withDescribedDefaults = <D extends object>(document: D): D => described(document) as D;
