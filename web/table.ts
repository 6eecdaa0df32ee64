/** Table cells and numbers for the pages, built with DOM nodes and text only (never HTML from data). */

export type Cell = string | number | boolean | null;

/** A number with up to 4 significant digits (integers whole, tiny and huge ones in exponent form); other values as text. */
export function formatValue(value: Cell): string {
  if (typeof value !== "number") return value === null ? "–" : String(value);
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  const a = Math.abs(value);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return value.toExponential(3).replace(/\.?0+e/, "e");
  return String(Number(value.toPrecision(4)));
}

/** A table row of `cells`, numbers right-aligned. */
export function row(cells: readonly Cell[], tag: "td" | "th" = "td"): HTMLTableRowElement {
  const tr = document.createElement("tr");
  for (const value of cells) {
    const cell = document.createElement(tag);
    cell.textContent = formatValue(value);
    if (typeof value === "number") cell.className = "num";
    tr.append(cell);
  }
  return tr;
}
