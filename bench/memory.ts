/**
 * `npm run bench:memory`: the runtime's resident bytes per parameter of an Adam shard at 2^20 and
 * 2^22 parameters after 100 pushes (bench/resident-memory.ts says exactly what is measured).
 * Prints the table and writes it to docs/benchmarks.md under "## Resident memory (npm run
 * bench:memory)"; `--quick` pushes 10 times and leaves the docs alone.
 */
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ENGINE_BYTES_PER_PARAM, outsideIsolatePerParam, residentMemory, TARGET_BYTES_PER_PARAM, type ResidentMemory } from "./resident-memory";
import { replaceSection } from "./sections";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const QUICK = process.argv.includes("--quick");
const HEADING = "## Resident memory (npm run bench:memory)";
const MiB = 1024 * 1024;

/**
 * 2^20, and the longest Adam shard the 64 MiB resident budget admits (2^22 − 80: the engine's four
 * regions of 2^22 floats and their alignment gaps need one wasm page more than 64 MiB).
 */
const LENGTHS = [2 ** 20, 2 ** 22 - 80];
const label = (n: number) => (Number.isInteger(Math.log2(n)) ? `2^${Math.log2(n)}` : `2^${Math.round(Math.log2(n))} − ${2 ** Math.round(Math.log2(n)) - n}`);

const started = performance.now();
const rows: ResidentMemory[] = [];
const floors: ResidentMemory[] = [];
for (const length of LENGTHS) {
  const r = await residentMemory(length, QUICK ? 10 : 100);
  rows.push(r);
  const floor = await residentMemory(length, QUICK ? 10 : 100, r.idleMs, "floor");
  floors.push(floor);
  console.log(
    `${label(length)}: the floor (same bytes, no shard): after ${floor.pushes} requests ${floor.perParam.toFixed(1)} B/param, after ${floor.idleMs / 1000} s idle ${floor.perParamIdle.toFixed(1)}, peak ${floor.peakPerParam.toFixed(1)}; ` +
      `the isolate's own ${floor.isolatePerParam.after.toFixed(1)} B/param`,
  );
  console.log(
    `${label(length)}: baseline ${(r.baseline / MiB).toFixed(1)} MiB, after ${r.pushes} pushes ${(r.after / MiB).toFixed(1)} MiB ` +
      `(${r.perParam.toFixed(1)} B/param), after ${r.idleMs / 1000} s idle ${r.perParamIdle.toFixed(1)} B/param, peak ${r.peakPerParam.toFixed(1)} B/param; ` +
      `the isolate's own: ${r.isolatePerParam.after.toFixed(1)}, idle ${r.isolatePerParam.afterIdle.toFixed(1)} B/param`,
  );
}

const fmt = (x: number) => x.toFixed(1);
const met = rows.every((r) => r.perParam <= TARGET_BYTES_PER_PARAM);
const section = [
  HEADING,
  "",
  `Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC on ${os.cpus()[0]?.model.trim() ?? "unknown CPU"} (${os.cpus().length} cores), Node ${process.version}; ` +
    `${fmt((performance.now() - started) / 1000)} s; load average ${os.loadavg()[0]!.toFixed(2)} at the end.`,
  "",
  "`npm run bench:memory` (bench/memory.ts, bench/resident-memory.ts) starts a fresh `wrangler dev` of the bench Worker for each size. " +
    "It reads VmRSS of the runtime workerd process (the Worker and its Durable Objects; not wrangler's proxy) from /proc. " +
    "Baseline: after a warm-up (a 1024-parameter Adam shard created, pushed to three times, deleted), with no shard resident. " +
    `Then an Adam shard is created and pushed ${rows[0]!.pushes} gradients one at a time (whole vector, Idempotency-Key, the weights answered). ` +
    "B/param = (VmRSS − baseline) / parameters: right after the last answer, after idling, and the highest VmRSS sampled every 10 ms during the pushes. " +
    `The engine alone holds ${ENGINE_BYTES_PER_PARAM} B/param (weights, gradient, exp_avg, exp_avg_sq in wasm memory).`,
  "",
  "| parameters | baseline MiB | after pushes MiB | **B/param after pushes** | B/param after idle | B/param at the peak |",
  "|---|---:|---:|---:|---:|---:|",
  ...rows.map(
    (r) =>
      `| ${label(r.length)} (${r.length.toLocaleString("en")}) | ${fmt(r.baseline / MiB)} | ${fmt(r.after / MiB)} | **${fmt(r.perParam)}** | ${fmt(r.perParamIdle)} (${r.idleMs / 1000} s) | ${fmt(r.peakPerParam)} |`,
  ),
  "",
  `Target: ≤ ${TARGET_BYTES_PER_PARAM} B/param after the pushes at both sizes — ${met ? "**met**" : "**not met**"}.`,
  "",
  "**The floor**: what the platform itself keeps for the same bytes. The same measurement on a fresh `wrangler dev`, with no shard: " +
    `the same ${floors[0]!.pushes} requests of the same gradients to the bench floor (\`POST /bench/floor/{shard}\`: the same edge path, body read and RPC, ` +
    "the gradient's own pages of 1 MiB written in one transaction, the bytes echoed; bench/floor/floor.ts), so no engine and none of shardstep's work. " +
    `What shardstep adds over it is its engine's ${ENGINE_BYTES_PER_PARAM} B/param and the transients of its own work.`,
  "",
  "| parameters | the floor: B/param after the requests | after idle | at the peak | its isolate's own | outside its isolate | shardstep: B/param after pushes | outside its isolate and engine |",
  "|---|---:|---:|---:|---:|---:|---:|---:|",
  ...rows.map((r, i) => {
    const f = floors[i]!;
    return (
      `| ${label(r.length)} | ${fmt(f.perParam)} | ${fmt(f.perParamIdle)} | ${fmt(f.peakPerParam)} | ${fmt(f.isolatePerParam.after)} | **${fmt(outsideIsolatePerParam(f))}** | ` +
      `${fmt(r.perParam)} | **${fmt(outsideIsolatePerParam(r) - ENGINE_BYTES_PER_PARAM)}** |`
    );
  }),
  "",
  "Outside the isolate (and, for shardstep, outside its engine's wasm memory) is what the runtime keeps of its own for the requests (its buffers for bodies and RPC messages, SQLite) and what its allocator keeps mapped once freed: " +
    `the floor, which keeps no state at all, leaves ${floors.map((f) => fmt(outsideIsolatePerParam(f))).join(" and ")} B/param there ` +
    `against the target's ${TARGET_BYTES_PER_PARAM} B/param for everything.`,
  "",
  "The isolate's own account of the same moments, from V8 through wrangler's inspector (`Runtime.getHeapUsage`: the JavaScript heap's used bytes, the embedder's, " +
    `and the backing stores of ArrayBuffers; the Worker and every Durable Object run in this one isolate locally), over its value at the baseline. V8 leaves WebAssembly memories out of that count: the engine's ${ENGINE_BYTES_PER_PARAM} B/param come on top of it. ` +
    "What VmRSS holds beyond both is the runtime's own (its C++: request and RPC buffers, SQLite) and what its allocator (workerd links tcmalloc) keeps mapped once freed.",
  "",
  "| parameters | isolate MiB at the baseline | after pushes MiB | B/param after pushes | B/param after idle |",
  "|---|---:|---:|---:|---:|",
  ...rows.map(
    (r) =>
      `| ${label(r.length)} | ${fmt(r.isolate.baseline / MiB)} | ${fmt(r.isolate.after / MiB)} | ${fmt(r.isolatePerParam.after)} | ${fmt(r.isolatePerParam.afterIdle)} (${r.idleMs / 1000} s) |`,
  ),
  "",
].join("\n");

console.log(`\n${section}`);
if (QUICK) console.log("(--quick: docs/benchmarks.md left as it is)");
else {
  const path = join(root, "docs/benchmarks.md");
  writeFileSync(path, replaceSection(readFileSync(path, "utf8"), HEADING, section));
  console.log("wrote docs/benchmarks.md");
}
