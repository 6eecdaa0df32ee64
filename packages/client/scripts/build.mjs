#!/usr/bin/env node
// Builds dist/: the SDK generated from openapi.yaml (scripts/generate.mjs), then
//   dist/index.js    one ES module bundled by esbuild: the hand-written client, the generated SDK
//                    and ../../src/formats/safetensors.ts and live-frames.ts; no dependencies, no Node built-ins
//   dist/types/      declarations emitted by tsc (tsconfig.build.json), mirroring the repository
//   dist/index.d.ts  the entry of the declarations
// `npm pack` runs it first (prepack).
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generate } from "./generate.mjs";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(packageDir, "dist");
const require = createRequire(import.meta.url);
const started = performance.now();

await generate();
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const { build } = await import("esbuild");
await build({
  entryPoints: [join(packageDir, "src/index.ts")],
  outfile: join(dist, "index.js"),
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  legalComments: "none",
  logLevel: "warning",
});

const tsc = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", join(packageDir, "tsconfig.build.json")], { stdio: "inherit" });
if (tsc.status !== 0) {
  console.error("build: tsc failed to emit the declarations");
  process.exit(1);
}
writeFileSync(join(dist, "index.d.ts"), 'export * from "./types/packages/client/src/index.js";\n');
console.log(`build: wrote dist/ in ${Math.round(performance.now() - started)} ms`);
