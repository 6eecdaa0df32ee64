#!/usr/bin/env node
// `npm run build:clients`: the clients of the generated-client programs (test/e2e/clients/), each
// generated from openapi.yaml by a generator nobody here wrote, with its documented options only:
//
//   hey-api        @hey-api/openapi-ts: the client package's SDK (packages/client/src/generated, binary
//                  bodies) and the generator's defaults (hey-api/generated, JSON bodies): it keeps one
//                  media type per body
//   openapi-fetch  openapi-typescript's `paths` types, used by openapi-fetch at run time
//   orval          orval's fetch client
//
// Build products, not in git; each directory is written only when it is older than openapi.yaml,
// this script or its generator's package.json, next to its place and then renamed into it, so
// concurrent builds never see half of one.
//
//   node scripts/build-clients.mjs            generate the stale ones
//   node scripts/build-clients.mjs --force    generate all
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { generate as generateSdk } from "../packages/client/scripts/generate.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const spec = join(root, "openapi.yaml");
const clients = join(root, "test/e2e/clients");

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -Infinity;
  }
}

/** @hey-api/openapi-ts with its defaults: fetch client, types, one function per operation. */
async function heyApi(dir) {
  const { createClient } = await import("@hey-api/openapi-ts");
  await createClient({
    input: spec,
    output: { path: dir },
    plugins: ["@hey-api/client-fetch", "@hey-api/typescript", "@hey-api/sdk"],
    logs: { level: "warn", file: false },
    interactive: false,
  });
}

/**
 * openapi-typescript: the spec's types as one module. It types `format: binary` as a string unless
 * told otherwise; its documented `transform` makes those bodies Blobs.
 */
async function openapiTypescript(dir) {
  const { default: openapiTS, astToString } = await import("openapi-typescript");
  const ts = (await import("typescript")).default;
  const ast = await openapiTS(new URL(`file://${spec}`), {
    silent: true,
    transform: (schema) => (schema.format === "binary" ? ts.factory.createTypeReferenceNode("Blob") : undefined),
  });
  writeFileSync(join(dir, "schema.ts"), astToString(ast));
}

/**
 * WORKAROUND (orval): a request body offering raw float32 and JSON is passed to fetch unserialized
 * whichever it is (and fails to compile), so such bodies keep only their raw bytes here.
 */
function binaryRequestBodies(document) {
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item ?? {})) {
      const content = operation?.requestBody?.content;
      if (!content?.["application/octet-stream"]) continue;
      for (const type of Object.keys(content)) if (type !== "application/octet-stream") delete content[type];
    }
  }
  return document;
}

/**
 * orval: a fetch client whose base URL is read at run time from the programs' connection module.
 * WORKAROUND (orval): not `headers: true` (typed header parameters), which spreads integer headers
 * (X-Base-Version, ...) into HeadersInit and fails to compile; headers go in the RequestInit.
 */
async function orval(dir) {
  const { generate } = await import("orval");
  await generate(
    {
      input: { target: spec, override: { transformer: binaryRequestBodies } },
      output: {
        target: join(dir, "shardstep.ts"),
        client: "fetch",
        mode: "single",
        baseUrl: { runtime: "connection.baseUrl", imports: [{ name: "connection", importPath: "../../common/connection" }] },
      },
    },
    root,
  );
}

const generators = [
  { name: "@hey-api/openapi-ts", output: join(clients, "hey-api/generated"), stamp: "index.ts", write: heyApi },
  { name: "openapi-typescript", output: join(clients, "openapi-fetch/generated"), stamp: "schema.ts", write: openapiTypescript },
  { name: "orval", output: join(clients, "orval/generated"), stamp: "shardstep.ts", write: orval },
];

async function build({ force }) {
  await generateSdk({ force });
  const here = fileURLToPath(import.meta.url);
  for (const { name, output, stamp, write } of generators) {
    const inputs = [spec, here, join(root, "node_modules", name, "package.json")];
    const shown = relative(process.cwd(), output);
    if (!force && mtime(join(output, stamp)) >= Math.max(...inputs.map(mtime))) {
      console.log(`build:clients: ${shown} is up to date`);
      continue;
    }
    const started = performance.now();
    const tmp = `${output}.tmp-${process.pid}`;
    const old = `${output}.old-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      await write(tmp);
      if (!existsSync(join(tmp, stamp))) throw new Error(`${name} wrote no ${stamp}`);
      if (existsSync(output)) renameSync(output, old);
      renameSync(tmp, output);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
      rmSync(old, { recursive: true, force: true });
    }
    console.log(`build:clients: wrote ${shown} with ${name} in ${Math.round(performance.now() - started)} ms`);
  }
}

try {
  await build({ force: process.argv.includes("--force") });
} catch (err) {
  console.error(`build:clients: failed: ${err?.stack ?? err}`);
  process.exitCode = 1;
}
