/**
 * The API reference (/docs): openapi.yaml rendered by `redocly build-docs` into one HTML file with
 * Redoc's script inlined (--inlineBundle), so that the page loads nothing from elsewhere. Redoc's
 * telemetry is off (REDOCLY_TELEMETRY=off, checked in the output); the addresses of its CDN (the
 * logo it shows, icons) become `data:,`, an image that fails at once, so Redoc hides it; and a
 * Content-Security-Policy lets the page reach no origin at all. The build fails if the page still
 * references an external script, style, font or image.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const DOCS_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:; " +
  "connect-src 'none'; base-uri 'none'; form-action 'none'";

/** What loads a resource: src/href of script, link, img, iframe, source, and url() or @import in CSS. */
const EXTERNAL_LOADS = [
  /<(?:script|link|img|iframe|source|audio|video|embed)\b[^>]*?\s(?:src|href|srcset)\s*=\s*["']?(?:https?:)?\/\/[^"'\s>]*/gi,
  /url\(\s*["']?(?:https?:)?\/\/[^"')\s]*/gi,
  /@import\s+["']?(?:https?:)?\/\/[^"';\s]*/gi,
];

/** Redoc's CDN, from which its script would load a logo and icons at run time. */
const REDOC_CDN = /https:\/\/cdn\.redoc(?:\.ly|ly\.com)\/[^`"'\s)]*/g;

/** The external resources `html` would load (empty when it is self-contained). */
export function externalLoads(html: string): string[] {
  return EXTERNAL_LOADS.flatMap((pattern) => html.match(pattern) ?? []);
}

function redoclyBuild(root: string): string {
  const dir = mkdtempSync(join(tmpdir(), "shardstep-docs-"));
  const output = join(dir, "docs.html");
  try {
    execFileSync(
      process.execPath,
      [join(root, "node_modules/@redocly/cli/bin/cli.js"), "build-docs", join(root, "openapi.yaml"), "--inlineBundle", "--output", output],
      { cwd: root, env: { ...process.env, REDOCLY_TELEMETRY: "off", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    return readFileSync(output, "utf8");
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: Buffer; stdout?: Buffer };
    throw new Error(`redocly build-docs failed:\n${stdout?.toString() ?? ""}${stderr?.toString() ?? ""}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The self-contained reference page. */
export function docsPage(root: string): string {
  const rendered = redoclyBuild(root);
  if (!rendered.includes('"disableTelemetry":true')) throw new Error("redocly build-docs left Redoc's telemetry on");
  const head = /<head[^>]*>/i.exec(rendered);
  if (!head) throw new Error("redocly build-docs wrote no <head>");
  const at = head.index + head[0].length;
  const html = `${rendered.slice(0, at)}\n<meta http-equiv="Content-Security-Policy" content="${DOCS_CSP}">${rendered.slice(at)}`.replace(REDOC_CDN, "data:,");
  const external = externalLoads(html);
  if (external.length > 0) throw new Error(`the API reference would load from other origins:\n${external.join("\n")}`);
  return html;
}
