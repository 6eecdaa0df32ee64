// Writes test/math/kernel-bits.json: the output bits of every kernel (test/support/kernel-bits.ts)
// under the current ENGINE_VERSION. Run it after bumping ENGINE_VERSION for a kernel change:
//   node --import tsx scripts/pin-kernel-bits.ts
import { writeFileSync } from "node:fs";
import { ENGINE_VERSION } from "../src/optim/fast/engine-version";
import { kernelBits } from "../test/support/kernel-bits";
import { loadKernelModule } from "../test/support/kernels";

const path = new URL("../test/math/kernel-bits.json", import.meta.url);
writeFileSync(path, JSON.stringify({ engine_version: ENGINE_VERSION, bits: kernelBits(loadKernelModule()) }, null, 2) + "\n");
console.log(`pin-kernel-bits: wrote ${path.pathname} for engine version ${ENGINE_VERSION}`);
