/**
 * The compiled fast-path kernels for tests and benchmarks in Node. In Workers the module comes
 * from a wasm import instead (Workers cannot compile wasm bytes at run time).
 *
 * The first call runs scripts/build-wasm.mjs, which rebuilds src/optim/fast/kernels.wasm only when
 * a kernel source is newer (a few tens of ms otherwise), so a test run never uses stale kernels.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const wasmPath = fileURLToPath(new URL("../../src/optim/fast/kernels.wasm", import.meta.url));

let cached: WebAssembly.Module | undefined;

export function loadKernelModule(): WebAssembly.Module {
  if (cached) return cached;
  if (process.env.SHARDSTEP_SKIP_WASM_BUILD !== "1") {
    execFileSync(process.execPath, ["scripts/build-wasm.mjs"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  }
  cached = new WebAssembly.Module(readFileSync(wasmPath));
  return cached;
}
