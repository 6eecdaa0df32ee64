/**
 * The ledger's fingerprint of a gradient, MurmurHash3 (src/murmur3.ts), against the SHA-256 it
 * replaced (node:crypto: in Node, OpenSSL with the CPU's SHA instructions where it has them), side
 * by side in one run: `npm run bench:fingerprint`. Seeded bytes at 4 KiB (a 1K shard), 4 MiB and
 * 16 MiB; the fastest of timed rounds after warm-up on both sides (the machine is shared).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { murmur3x86_128 } from "../src/murmur3";
import { randomGradient } from "./stats";

const SIZES = [4 << 10, 4 << 20, 16 << 20];
const ROUNDS = 7;
const TARGET_MS = 200;

/** The fastest of ROUNDS rounds of `run`, each repeated for about TARGET_MS, in ms per call. */
function fastest(run: () => void): number {
  for (let i = 0; i < 3; i++) run();
  const t0 = performance.now();
  run();
  const reps = Math.max(1, Math.round(TARGET_MS / Math.max(performance.now() - t0, 0.001)));
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) run();
    best = Math.min(best, (performance.now() - start) / reps);
  }
  return best;
}

const cpu = readFileSync("/proc/cpuinfo", "utf8");
const shaInstructions = /\bsha_ni\b/.test(cpu) ? "with" : "without";
console.log(`Node ${process.version}, a CPU ${shaInstructions} SHA instructions (sha_ni)`);
console.log("| bytes | MurmurHash3 ms | SHA-256 ms | SHA-256 ÷ MurmurHash3 |");
console.log("|---:|---:|---:|---:|");
for (const n of SIZES) {
  const floats = randomGradient(n / 4, n);
  const bytes = new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength);
  const murmur = fastest(() => murmur3x86_128(bytes));
  const sha = fastest(() => createHash("sha256").update(bytes).digest("hex"));
  console.log(`| ${n.toLocaleString("en-US")} | ${murmur.toFixed(4)} | ${sha.toFixed(4)} | ${(sha / murmur).toFixed(2)}× |`);
}
