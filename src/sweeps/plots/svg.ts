/**
 * A minimal SVG writer: every number through `num` (rounded to 2 decimals, so the documents stay
 * small and identical across runs), every text and attribute value through `escapeXml` (parameter
 * names, choice values and objective names come from users).
 */

/** A number as SVG wants it: rounded to 2 decimals, no trailing zeros, no "-0". */
export function num(value: number): string {
  const r = Math.round(value * 100) / 100;
  return Object.is(r, -0) || r === 0 ? "0" : String(r);
}

/**
 * Text made safe for XML character data and attribute values: & < > " ' become references, and
 * characters XML 1.0 forbids (controls other than tab/newline/return, lone surrogates, U+FFFE and
 * U+FFFF) become U+FFFD.
 */
export function escapeXml(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x26) out += "&amp;";
    else if (c === 0x3c) out += "&lt;";
    else if (c === 0x3e) out += "&gt;";
    else if (c === 0x22) out += "&quot;";
    else if (c === 0x27) out += "&apos;";
    else if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) out += "\ufffd";
    else if (c === 0xfffe || c === 0xffff) out += "\ufffd";
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text[i]! + text[i + 1]!;
        i++;
      } else out += "\ufffd";
    } else if (c >= 0xdc00 && c <= 0xdfff) out += "\ufffd";
    else out += text[i]!;
  }
  return out;
}

/** Attribute values: numbers are rounded by `num`, strings escaped; undefined and false leave the attribute out. */
export type Attrs = Readonly<Record<string, string | number | undefined | false>>;

function attributes(attrs: Attrs): string {
  let out = "";
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    out += ` ${name}="${typeof value === "number" ? num(value) : escapeXml(value)}"`;
  }
  return out;
}

/**
 * An element. `children` are already-written markup (from `el` or `text`); an element without
 * children is self-closed. Names are the code's own, never user input.
 */
export function el(name: string, attrs: Attrs = {}, ...children: readonly string[]): string {
  const inner = children.join("");
  return inner === "" ? `<${name}${attributes(attrs)}/>` : `<${name}${attributes(attrs)}>${inner}</${name}>`;
}

/** A `<text>` element holding `content` (escaped), then any `children` (markup, e.g. a `title`). */
export function text(x: number, y: number, content: string, attrs: Attrs = {}, ...children: readonly string[]): string {
  return `<text${attributes({ x, y, ...attrs })}>${escapeXml(content)}${children.join("")}</text>`;
}

/** A `<title>` (a tooltip where the SVG is inline, an accessible name everywhere). */
export function title(content: string): string {
  return `<title>${escapeXml(content)}</title>`;
}

/** A polyline's `points` attribute, dropping points that round to the same place as the previous one. */
export function points(xy: readonly (readonly [number, number])[]): string {
  const parts: string[] = [];
  let last = "";
  for (const [x, y] of xy) {
    const p = `${num(x)},${num(y)}`;
    if (p !== last) parts.push(p);
    last = p;
  }
  return parts.join(" ");
}

/** A whole document: an `<svg>` root with a white background, an accessible title and `body`. */
export function svgDocument(width: number, height: number, label: string, body: readonly string[]): string {
  return el(
    "svg",
    {
      xmlns: "http://www.w3.org/2000/svg",
      width,
      height,
      viewBox: `0 0 ${num(width)} ${num(height)}`,
      role: "img",
      "aria-label": label,
      "font-family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
      "font-size": 12,
    },
    title(label),
    el("rect", { width, height, fill: "#ffffff" }),
    ...body,
  );
}
