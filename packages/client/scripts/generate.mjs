#!/usr/bin/env node
// Generates the package's SDK from the repository's openapi.yaml into src/generated/ with
// @hey-api/openapi-ts (offline: the input is the local file; fetch client, types, one function per
// operation). src/generated/ is a build product (not in git); the rest of src/ is written by hand
// over it. The repository's `npm run build:sdk` runs this too.
//
// It regenerates only when openapi.yaml, this script or the installed @hey-api/openapi-ts is newer
// than the output, so running it before every build, typecheck or test run is cheap.
//
//   node scripts/generate.mjs            generate if stale
//   node scripts/generate.mjs --force    always generate
//
// Float32 vectors: the API offers raw little-endian float32 (application/octet-stream) and JSON
// arrays for the same bodies. hey-api keeps one media type per body and prefers JSON, so the
// generator is handed a patched view of the spec in which every body that offers octet-stream keeps
// only octet-stream: those bodies are then typed `Blob | File` (OpenAPI 3.1 `contentMediaType` of a
// file-like type is `format: binary`) and sent with the right Content-Type; the client reads such
// responses as bytes. The JSON alternatives stay in openapi.yaml for other clients.
//
// The imports of the generated files carry `.js` extensions (tsconfig.json is NodeNext), so the
// declarations the build emits resolve under every TypeScript module resolution.
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(import.meta.url);
const packageDir = join(dirname(here), "..");
const repoRoot = join(packageDir, "../..");
const spec = join(repoRoot, "openapi.yaml");
const output = join(packageDir, "src/generated");
const stamp = join(output, "index.ts");
const BINARY = "application/octet-stream";

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -Infinity;
  }
}

/** Keeps only the raw bytes where a body offers them next to other media types. */
function keepBinary(content) {
  if (!content || !content[BINARY] || Object.keys(content).length < 2) return;
  for (const type of Object.keys(content)) if (type !== BINARY) delete content[type];
}

/** Writes src/generated/ from openapi.yaml unless it is up to date (or `force`). Answers whether it wrote. */
export async function generate({ force = false } = {}) {
  const inputs = [spec, here, join(repoRoot, "node_modules/@hey-api/openapi-ts/package.json")];
  const shown = relative(process.cwd(), output) || ".";
  if (!force && mtime(stamp) >= Math.max(...inputs.map(mtime))) {
    console.log(`generate: ${shown} is up to date`);
    return false;
  }
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 22 || (major === 22 && minor < 18)) {
    throw new Error(`@hey-api/openapi-ts needs Node >= 22.18, this is ${process.version}; run it through npm (npm run build:sdk) or npx node`);
  }
  const started = performance.now();
  const { createClient } = await import("@hey-api/openapi-ts");
  // Generate next to the target and swap it in, so concurrent builds never leave a half-written SDK.
  const tmp = `${output}.tmp-${process.pid}`;
  const old = `${output}.old-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(dirname(output), { recursive: true });
  try {
    await createClient({
      input: spec,
      output: { path: tmp, tsConfigPath: join(packageDir, "tsconfig.json") },
      parser: {
        patch: {
          operations: (_method, _path, operation) => {
            keepBinary(operation.requestBody?.content);
            for (const response of Object.values(operation.responses ?? {})) keepBinary(response?.content);
          },
        },
      },
      plugins: ["@hey-api/client-fetch", "@hey-api/typescript", "@hey-api/sdk"],
      logs: { level: "warn", file: false },
      interactive: false,
    });
    if (!existsSync(join(tmp, "index.ts"))) throw new Error("the generator wrote no index.ts");
    if (existsSync(output)) renameSync(output, old);
    renameSync(tmp, output);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
  console.log(`generate: wrote ${shown} from ${relative(process.cwd(), spec)} in ${Math.round(performance.now() - started)} ms`);
  return true;
}

if (process.argv[1] && resolve(process.argv[1]) === here) {
  try {
    await generate({ force: process.argv.includes("--force") });
  } catch (err) {
    console.error(`generate: failed: ${err?.stack ?? err}`);
    process.exitCode = 1;
  }
}
