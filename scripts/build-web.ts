// Builds the Worker's static assets into public/ (a build product, not in git; wrangler.toml's
// [assets] serves it):
//
//   index.html, learner.css, favicon.svg   the learner page (/), copied from web/
//   learner.js(.map)                       web/main.ts bundled for browsers
//   sweep.html, sweep.js(.map)             the sweep page (/sweep): web/sweep.html, web/sweep-page.ts bundled
//   mnist-digits.bin                       the digits the page trains on (web/digits-format.ts)
//   docs.html                              the API reference (/docs) from openapi.yaml, self-contained
//   openapi.yaml                           the contract itself (/openapi.yaml), copied as it is
//
// The digits and the reference are rebuilt only when their inputs changed, so running this before
// every test run is cheap. Nothing secret is written: the page gets its token from its user.
//
//   node --import tsx scripts/build-web.ts            (npm run build:web, which builds the SDK first)
//   node --import tsx scripts/build-web.ts --force    rebuild everything
import { mkdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { bundlePage } from "./web/bundle";
import { digitsFile, DIGITS_SOURCE } from "./web/digits";
import { docsPage } from "./web/docs";
import { isStale, writeAtomically } from "./web/files";

const root = fileURLToPath(new URL("..", import.meta.url));
const ASSETS_DIR = join(root, "public");
const force = process.argv.includes("--force");
const started = performance.now();
const at = (path: string) => join(root, path);
const report = (path: string, what: string) => console.log(`build:web: ${relative(root, path)} ${what}`);

function buildIfStale(output: string, inputs: string[], make: () => string | Uint8Array): void {
  if (!force && !isStale(output, inputs)) return report(output, "is up to date");
  const data = make();
  writeAtomically(output, data);
  report(output, `(${Buffer.byteLength(data)} bytes)`);
}

mkdirSync(ASSETS_DIR, { recursive: true });
for (const file of await bundlePage(root, ASSETS_DIR)) report(join(ASSETS_DIR, file.file), `(${file.bytes} bytes)`);
for (const file of ["index.html", "sweep.html", "learner.css", "favicon.svg"]) {
  const data = readFileSync(at(`web/${file}`));
  writeAtomically(join(ASSETS_DIR, file), data);
  report(join(ASSETS_DIR, file), `(${data.length} bytes)`);
}
buildIfStale(
  join(ASSETS_DIR, "mnist-digits.bin"),
  [DIGITS_SOURCE, "web/digits-format.ts", "scripts/web/digits.ts", "examples/mnist/data.ts"].map(at),
  digitsFile,
);
buildIfStale(
  join(ASSETS_DIR, "docs.html"),
  ["openapi.yaml", "node_modules/@redocly/cli/package.json", "scripts/web/docs.ts"].map(at),
  () => docsPage(root),
);
// An asset, not a route: the spec does not describe itself.
buildIfStale(join(ASSETS_DIR, "openapi.yaml"), [at("openapi.yaml")], () => readFileSync(at("openapi.yaml")));
console.log(`build:web: done in ${Math.round(performance.now() - started)} ms`);
