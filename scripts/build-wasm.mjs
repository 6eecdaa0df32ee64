#!/usr/bin/env node
// Builds the fast-path kernels: src/optim/fast/kernels/*.ts (AssemblyScript) -> src/optim/fast/kernels.wasm.
// The .wasm is a build product (not in git). It is rebuilt only when a kernel source, this script or
// the installed assemblyscript version is newer than it, so running this before every test run is cheap.
//
//   node scripts/build-wasm.mjs            build if stale
//   node scripts/build-wasm.mjs --force    always build
//   node scripts/build-wasm.mjs --wat F    also write the text format to F (implies --force)
import { mkdtempSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const sourceDir = join(root, "src/optim/fast/kernels");
const entry = join(sourceDir, "index.ts");
const output = join(root, "src/optim/fast/kernels.wasm");

/** The compiler flags: see src/optim/fast/kernels/common.ts for what the kernels assume. */
export const ASC_FLAGS = [
  "-O3",
  "--enable", "simd",
  "--runtime", "stub",
  "--importMemory",
  "--noExportMemory",
  "--noAssert",
];

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)],
  );
}

function newestInput() {
  const inputs = [
    ...listFiles(sourceDir),
    fileURLToPath(import.meta.url),
    join(root, "node_modules/assemblyscript/package.json"),
  ];
  return Math.max(...inputs.map((f) => statSync(f).mtimeMs));
}

function outputTime() {
  try {
    return statSync(output).mtimeMs;
  } catch {
    return -Infinity;
  }
}

const args = process.argv.slice(2);
const watIndex = args.indexOf("--wat");
const watFile = watIndex >= 0 ? args[watIndex + 1] : undefined;
const force = args.includes("--force") || watFile !== undefined;

if (!force && outputTime() >= newestInput()) {
  console.log(`build:wasm: ${relative(root, output)} is up to date`);
  process.exit(0);
}

const started = performance.now();
const { default: asc } = await import("assemblyscript/asc");
// Write to a private temporary file and rename it into place, so concurrent builds (parallel test
// workers) never see a half-written module.
const tmp = mkdtempSync(join(tmpdir(), "shardstep-wasm-"));
const tmpOut = join(tmp, "kernels.wasm");
const argv = [entry, ...ASC_FLAGS, "--outFile", tmpOut];
if (watFile) argv.push("--textFile", watFile);
const { error, stderr } = await asc.main(argv, { stdout: process.stdout, stderr: process.stderr });
if (error) {
  rmSync(tmp, { recursive: true, force: true });
  console.error(`build:wasm: failed: ${error.message}`);
  if (stderr) console.error(stderr.toString());
  process.exit(1);
}
try {
  renameSync(tmpOut, output);
} catch {
  // A different filesystem (EXDEV): copy next to the target first, then rename there.
  const { copyFileSync } = await import("node:fs");
  const near = `${output}.${process.pid}.tmp`;
  copyFileSync(tmpOut, near);
  renameSync(near, output);
}
rmSync(tmp, { recursive: true, force: true });
const size = statSync(output).size;
console.log(`build:wasm: wrote ${relative(root, output)} (${size} bytes) in ${Math.round(performance.now() - started)} ms`);
