/**
 * The ledger's fingerprint of a gradient, MurmurHash3 (src/murmur3.ts), against the SHA-256 it
 * replaced (node:crypto: in Node, OpenSSL with the CPU's SHA instructions where it has them), side
 * by side in one run: `npm run bench:fingerprint`. Seeded bytes at 4 KiB (a 1K shard), 4 MiB and
 * 16 MiB; the fastest of rounds that alternate the two, after warm-up (the machine is shared).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { murmur3x86_128 } from "../src/murmur3";
import { fastest, randomGradient } from "./stats";

const SIZES = [4 << 10, 4 << 20, 16 << 20];

const cpu = readFileSync("/proc/cpuinfo", "utf8");
console.log(`Node ${process.version}, a CPU ${/\bsha_ni\b/.test(cpu) ? "with" : "without"} SHA instructions (sha_ni)`);
console.log("| bytes | MurmurHash3 ms | SHA-256 ms | SHA-256 ÷ MurmurHash3 |");
console.log("|---:|---:|---:|---:|");
for (const n of SIZES) {
  const floats = randomGradient(n / 4, n);
  const bytes = new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength);
  const s = fastest({ murmur: () => murmur3x86_128(bytes), sha: () => createHash("sha256").update(bytes).digest("hex") }, 200, 7);
  console.log(`| ${n.toLocaleString("en-US")} | ${(s.murmur * 1000).toFixed(4)} | ${(s.sha * 1000).toFixed(4)} | ${(s.sha / s.murmur).toFixed(2)}× |`);
}
