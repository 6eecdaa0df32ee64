#!/usr/bin/env node
// Generates the TypeScript client of the API from openapi.yaml into sdk/generated/ with
// @hey-api/openapi-ts (offline: the input is the local file). sdk/generated/ is a build product (not
// in git); sdk/client.ts is the hand-written Float32Array wrapper over it.
//
// It regenerates only when openapi.yaml, this script or the installed @hey-api/openapi-ts is newer
// than the output, so running it before every test run is cheap.
//
//   node scripts/build-sdk.mjs            generate if stale
//   node scripts/build-sdk.mjs --force    always generate
//
// Float32 vectors: the API offers raw little-endian float32 (application/octet-stream) and JSON
// arrays for the same bodies. hey-api keeps one media type per body and prefers JSON, so the
// generator is handed a patched view of the spec in which every body that offers octet-stream keeps
// only octet-stream: those bodies are then typed `Blob | File` (OpenAPI 3.1 `contentMediaType` of a
// file-like type is `format: binary`), sent without a JSON serializer and with the right
// Content-Type. sdk/client.ts reads such responses with `parseAs: "arrayBuffer"`. The JSON
// alternatives stay in openapi.yaml for other clients; the SDK always moves bytes.
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const spec = join(root, "openapi.yaml");
const output = join(root, "sdk/generated");
const stamp = join(output, "index.ts");
const BINARY = "application/octet-stream";

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -Infinity;
  }
}

const inputs = [spec, fileURLToPath(import.meta.url), join(root, "node_modules/@hey-api/openapi-ts/package.json")];
const force = process.argv.includes("--force");
if (!force && mtime(stamp) >= Math.max(...inputs.map(mtime))) {
  console.log(`build:sdk: ${relative(root, output)} is up to date`);
  process.exit(0);
}

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`build:sdk: @hey-api/openapi-ts needs Node >= 22.18, this is ${process.version}; run it through npm (npm run build:sdk) or npx node`);
  process.exit(1);
}

/** Keeps only the raw bytes where a body offers them next to other media types. */
function keepBinary(content) {
  if (!content || !content[BINARY] || Object.keys(content).length < 2) return;
  for (const type of Object.keys(content)) if (type !== BINARY) delete content[type];
}

const started = performance.now();
const { createClient } = await import("@hey-api/openapi-ts");
// Generate next to the target and swap it in, so concurrent builds never leave a half-written client.
const tmp = `${output}.tmp-${process.pid}`;
const old = `${output}.old-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
mkdirSync(dirname(output), { recursive: true });
try {
  await createClient({
    input: spec,
    output: { path: tmp, tsConfigPath: join(root, "tsconfig.node.json") },
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
} catch (err) {
  console.error(`build:sdk: failed: ${err?.stack ?? err}`);
  process.exitCode = 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
  rmSync(old, { recursive: true, force: true });
}
if (!process.exitCode) {
  console.log(`build:sdk: wrote ${relative(root, output)} from ${relative(root, spec)} in ${Math.round(performance.now() - started)} ms`);
}
