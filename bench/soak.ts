/**
 * The same load row again and again on one shard, to see what a long run does to each process:
 * `npm run bench:soak [-- --rows 8 --seconds 3 --clients 32 --path proxy|direct --answer summary|weights --fresh --floor --thread --perf [--symbol S]]`.
 *
 * Starts the bench Worker in `wrangler dev` (wrangler's local observability off), creates a 1K Adam
 * shard and measures `rows` rows of bench:e2e's (d) (32 live sessions pushing, bench/live-load.ts,
 * by the closed loop of bench/closed-loop.ts), each on new sessions; `--fresh` gives every row a
 * shard of its own instead. Prints per row: pushes/s, p99, the CPU per push of each process, the
 * shard's pushes per write transaction, this process's garbage collection over the row (by kind:
 * scavenges of the young generation, full mark-compacts, incremental marking), the resident memory
 * of the runtime and of this process, and the least JavaScript heap of the Worker's isolate sampled
 * over the row (through wrangler's inspector).
 * `--floor` sends the same sessions to the socket floor of bench:e2e's (d) instead (bench/floor/live-floor.ts, an object
 * of its own per row), for the least a socket push costs each process beside what a shard's costs.
 * `--thread` also prints where the runtime's first thread, which runs every object and socket, spent the row
 * (bench/thread-time.ts: on a CPU, runnable but waiting for one) and its time inside fsync (bench/fsyncs.ts,
 * Linux perf): how much of the thread a push takes, and what is left for more pushes.
 * `--perf` also samples the runtime process with Linux perf (`perf record -F 999`, Debian's
 * linux-perf) for `seconds` from the start of each row and prints its busiest symbols, native code
 * included, which the isolate's own profile (bench:profile-live) does not name, and the share of the
 * symbols whose name holds `--symbol` (by default the inspector's trace, `InspectorSink::onAfter`:
 * docs/benchmarks.md, "A long run on one shard").
 * bench:e2e measures every row in one process like this one, so what this process's collector does
 * late in a run weighs on the rows measured late.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PerformanceObserver, constants } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { createShardstep } from "../sdk/client";
import { adminToken, DevServer, memoryOf } from "../test/e2e/support/server";
import { BENCH_CONFIG } from "../test/support/wrangler";
import { closedLoop } from "./closed-loop";
import { openInspector } from "./inspector";
import { liveFloorCounts, liveFloorUrl } from "./floor/live-floor-route";
import { traceFsyncs } from "./fsyncs";
import { livePushes } from "./live-load";
import { fmt } from "./load-table";
import { localObservability } from "./observability";
import { randomGradient, sleep } from "./stats";
import { threadWindow } from "./thread-time";

const { values } = parseArgs({ options: { rows: { type: "string", default: "8" }, seconds: { type: "string", default: "3" }, clients: { type: "string", default: "32" }, path: { type: "string", default: "proxy" }, answer: { type: "string", default: "weights" }, fresh: { type: "boolean", default: false }, floor: { type: "boolean", default: false }, thread: { type: "boolean", default: false }, perf: { type: "boolean", default: false }, symbol: { type: "string", default: "InspectorSink::onAfter" } } });
if (values.answer !== "summary" && values.answer !== "weights") throw new Error(`--answer is summary or weights, not ${values.answer}`);
const answer = values.answer;
const clients = Number(values.clients);

const gcKinds: [number, string][] = [
  [constants.NODE_PERFORMANCE_GC_MINOR, "scavenge"],
  [constants.NODE_PERFORMANCE_GC_MAJOR, "mark-compact"],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, "incremental"],
];
const gcMs = new Map<string, number>();
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    // Node's gc entries carry their kind in `detail` (not in this @types/node's PerformanceEntry).
    const detail = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail;
    const kind = gcKinds.find(([k]) => k === detail?.kind)?.[1] ?? "other";
    gcMs.set(kind, (gcMs.get(kind) ?? 0) + entry.duration);
  }
}).observe({ entryTypes: ["gc"] });

/** Samples `pid` with perf for `seconds`: its busiest symbols by share of the samples, and the share of those whose name holds `symbol`. */
function perfSymbols(pid: number, seconds: number, symbol: string, top = 5): Promise<{ busiest: string[]; watched: number }> {
  const dir = mkdtempSync(join(tmpdir(), "soak-perf-"));
  const data = join(dir, "perf.data");
  const perf = spawn("perf", ["record", "-F", "999", "-p", String(pid), "-o", data, "--", "sleep", String(seconds)], { stdio: "ignore" });
  return new Promise((resolve, reject) => {
    perf.on("error", (e) => reject(new Error(`perf could not start (install Debian's linux-perf): ${e.message}`)));
    perf.on("exit", () => {
      try {
        const report = execFileSync("perf", ["report", "-i", data, "--no-children", "--sort", "symbol", "--stdio", "-g", "none"], { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "ignore"] });
        const rows = report.split("\n").flatMap((line) => {
          const m = /^\s*([\d.]+)%\s+\[[.k]\]\s+(.*?)(\s+-\s+-)?\s*$/.exec(line);
          return m ? [{ share: Number(m[1]), name: m[2]! }] : [];
        });
        resolve({
          busiest: rows.slice(0, top).map((r) => `${fmt(r.share, 1)}% ${r.name.length > 70 ? `${r.name.slice(0, 70)}…` : r.name}`),
          watched: rows.filter((r) => r.name.includes(symbol)).reduce((sum, r) => sum + r.share, 0),
        });
      } catch (e) {
        reject(e as Error);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

const warmupMs = 500;

/** The runtime's first thread over a row's measured part (after its warm-up; fsyncs over 0.5 s less, for perf to start and stop within the row). */
async function threadOverRow(pid: number, rowSeconds: number) {
  await sleep(warmupMs);
  const window = threadWindow(pid);
  const seconds = rowSeconds - 0.5;
  const [time, fsyncs] = await Promise.all([sleep((rowSeconds - 0.1) * 1000).then(window), traceFsyncs(pid, seconds)]);
  return { time, fsyncs, seconds };
}

const rssMiB = (pid: number) => (memoryOf(pid)?.current ?? NaN) / 2 ** 20;

localObservability(false);
const server = await DevServer.start({ config: BENCH_CONFIG, validate: false });
try {
  const token = await adminToken();
  const api = createShardstep({ baseUrl: server.baseUrl, token, retry: false });
  const runId = Date.now().toString(36);
  const newShard = async (row: number) => {
    const shard = `soak-${runId}-${row}`;
    if (!values.floor) await api.createShard(shard, { length: 1024, rule: "adam", hyper: { lr: 1e-3 }, rate_limit: null });
    return shard;
  };
  const counts = (shard: string) => (values.floor ? liveFloorCounts(server.baseUrl, shard, token) : api.getStatus(shard));
  const baseUrl = values.path === "proxy" ? server.baseUrl : await server.runtimeBaseUrl();
  if (!baseUrl) throw new Error("cannot find the runtime workerd's entry socket");
  const gradients = Array.from({ length: 64 }, (_, i) => randomGradient(1024, 100 + i));
  console.log(`${values.rows} rows of ${clients} live sessions, ${values.path}, ${answer} answered, ${values.floor ? "to the socket floor" : "to a shard"}, ${values.fresh ? "a new one per row" : "the same one"}; this process runs with ${process.execArgv.filter((a) => a.startsWith("--") && !a.startsWith("--import")).join(" ") || "node's defaults"}`);
  // The Worker's isolate (every shard object runs in it), through wrangler's inspector.
  const inspector = await openInspector(server.inspectorPort);
  // The least of the JavaScript heap's used bytes sampled every 100 ms over a row: what the row's
  // collections left, near the live data.
  const heapLeast = () => {
    let least = Infinity;
    const timer = setInterval(() => {
      void inspector.call<{ usedSize: number }>("Runtime.getHeapUsage").then((u) => (least = Math.min(least, u.usedSize)));
    }, 100);
    return () => {
      clearInterval(timer);
      return least / 2 ** 20;
    };
  };
  let shard = await newShard(0);
  for (let row = 0; row < Number(values.rows); row++) {
    if (values.fresh && row > 0) shard = await newShard(row);
    const before = await counts(shard);
    const url = values.floor ? liveFloorUrl(baseUrl, shard, answer === "weights" ? "weights" : "minimal") : undefined;
    const { send, close } = await livePushes(baseUrl, token, shard, clients, gradients, (c, seq) => `${runId}-${row}-${c}-${seq}`, answer, { url });
    gcMs.clear();
    const heap = heapLeast();
    const sampled = values.perf ? perfSymbols(server.runtimePid(), Number(values.seconds), values.symbol) : undefined;
    const thread = values.thread ? threadOverRow(server.runtimePid(), Number(values.seconds)) : undefined;
    const load = await closedLoop(send, clients, Number(values.seconds), { warmupMs, processes: () => server.workerdProcesses() }).finally(close);
    const runtime = server.runtimePid();
    const after = await counts(shard);
    const perWrite = (after.pushes - before.pushes) / (after.writes - before.writes);
    const gc = gcKinds.map(([, kind]) => `${kind} ${fmt(gcMs.get(kind) ?? 0, 0)}`).join(", ");
    console.log(
      `row ${row + 1}: ${fmt(load.steps, 0)} pushes/s, p99 ${fmt(load.p99, 1)} ms; CPU ms per push client ${fmt(load.cpu.client, 3)}, proxy ${fmt(load.cpu.proxy, 3)}, runtime ${fmt(load.cpu.runtime, 3)}; ${fmt(perWrite, 1)} pushes per write (warm-up included); ` +
        `this process's GC ms (row and warm-up): ${gc}; RSS MiB runtime ${fmt(rssMiB(runtime), 0)}, this process ${fmt(process.memoryUsage().rss / 2 ** 20, 0)}; ` +
        `the isolate's heap, least sampled ${fmt(heap(), 1)} MiB`,
    );
    if (thread) {
      const { time, fsyncs, seconds } = await thread;
      const inFsync = fsyncs ? `inside fsync ${fmt((fsyncs.ms / (seconds * 1000)) * 100, 1)}% of ${fmt(seconds, 1)} s (${fmt(fsyncs.calls / seconds, 0)} a second, ${fmt(fsyncs.ms / fsyncs.calls, 3)} ms each, ${fmt(fsyncs.calls / seconds / load.steps, 3)} a push; the wall time of the calls, partly on a CPU)` : "fsyncs not traced (perf could not run)";
      console.log(`  the runtime's first thread over the row: on a CPU ${fmt(time.onCpu * 100, 1)}%, runnable but waiting for one ${fmt(time.waiting * 100, 1)}%, ${fmt(time.slicesPerSecond, 0)} times on a CPU a second; ${inFsync}`);
    }
    if (sampled) {
      const { busiest, watched } = await sampled;
      console.log(`  perf, the runtime's samples: ${values.symbol} ${fmt(watched, 1)}%; busiest: ${busiest.join("; ")}`);
    }
  }
  inspector.close();
} finally {
  await server.dispose();
}
