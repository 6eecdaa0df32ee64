import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ENGINE_VERSION } from "../../src/optim/fast/engine-version";
import { KERNEL_BITS_SEED, kernelBits } from "../support/kernel-bits";
import { loadKernelModule } from "../support/kernels";

const pinned = JSON.parse(readFileSync(new URL("./kernel-bits.json", import.meta.url), "utf8")) as { engine_version: number; bits: Record<string, string> };

/**
 * A gradient log replays through the kernels of the running engine (docs/gradient-log.md): the
 * bits of every kernel are pinned under ENGINE_VERSION, so a change of a kernel's output fails here
 * until ENGINE_VERSION is bumped and the bits pinned again (scripts/pin-kernel-bits.ts).
 */
describe("the kernels' output bits", () => {
  it(`are those pinned for engine version ${ENGINE_VERSION} (seed ${KERNEL_BITS_SEED})`, () => {
    console.log(`kernel-bits: seed ${KERNEL_BITS_SEED}`);
    expect(pinned.engine_version, "kernel-bits.json was pinned for another engine version: run scripts/pin-kernel-bits.ts").toBe(ENGINE_VERSION);
    const bits = kernelBits(loadKernelModule());
    expect(Object.keys(bits).length).toBeGreaterThan(20);
    for (const [variant, hash] of Object.entries(bits)) {
      expect(hash, `${variant}: its bits changed; bump ENGINE_VERSION (src/optim/fast/engine-version.ts) and run scripts/pin-kernel-bits.ts`).toBe(pinned.bits[variant]);
    }
    expect(Object.keys(pinned.bits).sort()).toEqual(Object.keys(bits).sort());
  });
});
