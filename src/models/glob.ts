/**
 * Tensor-name patterns of per-tensor configurations: `*` matches any run of characters, `?` one
 * character, everything else itself ("*.bias", "encoder.*.weight").
 */
export function globMatcher(pattern: string): (name: string) => boolean {
  const source = [...pattern].map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[\\^$.|+()[\]{}]/g, "\\$&"))).join("");
  const re = new RegExp(`^${source}$`);
  return (name) => re.test(name);
}
