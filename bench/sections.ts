/** Replaces the section under `heading` (up to the next "## ") in a Markdown document, or appends it. */
export function replaceSection(doc: string, heading: string, section: string): string {
  const lines = doc.split("\n");
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) return `${doc.replace(/\n*$/, "")}\n\n${section.replace(/\n*$/, "")}\n`;
  let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  if (end < 0) end = lines.length;
  const before = lines.slice(0, start).join("\n").replace(/\n*$/, "");
  const after = lines.slice(end).join("\n").replace(/^\n*/, "");
  return `${before}\n\n${section.replace(/\n*$/, "")}\n${after ? `\n${after}` : ""}`.replace(/^\n+/, "") + (after && !after.endsWith("\n") ? "\n" : "");
}
