/**
 * What a step costs on the platform's price list, and what a shard keeps on disk:
 * `npm run bench:cost` (`--quick`: 5 steps and no documents written).
 *
 * Against a real `wrangler dev -c bench/floor/wrangler.toml` (the production Worker plus the bench's
 * routes) with a temporary --persist-to, for Adam shards of 1,024 and 2^20 parameters and the longest
 * one the resident budget admits (4,194,224 today, of at most 4,194,304: a 16M-parameter model is 4
 * of them), each in turn:
 * - 1 warm-up push, then 100 pushes through @shardstep/client (each with an Idempotency-Key, as the
 *   client sends by default), one at a time; the rows their statements read and wrote, counted by
 *   the object's own cursors (GET /bench/meter/{shard}, bench/floor/meter.ts), and the median
 *   latency of a push;
 * - the Worker's CPU per push: the runtime workerd's CPU (/proc) per request of the same edge path
 *   with an object that writes nothing (POST /bench/floor/{shard}?pages=0: auth, body read, the RPC
 *   with the bytes, the bytes answered back), since locally the Worker and the object share one
 *   process, and the object's time is billed as duration, not CPU;
 * - then the object's alarm handler (POST /bench/alarm/{shard}): whatever the shard does on its
 *   alarm (today nothing for an async shard; with the gradient log, its materialization), metered
 *   the same way; a shard that logs keeps its log's ring of rows (its `databaseSize` then is
 *   `databaseSizeBusy`) until an alarm finds it idle: the bench waits LOG_RING_IDLE_MS and calls
 *   the alarm again;
 * - then the bytes of the object's files under --persist-to (`<id>.sqlite`, `-wal`, `-shm`) and
 *   its `databaseSize`.
 * Once: what the runtime answers to the statements that would checkpoint or bound the write-ahead
 * log (GET /bench/wal/{shard}).
 *
 * The measurements go to docs/cost-measured.json under a column: "log" when the shard's database
 * has a `gradient_log` table, "today" otherwise (`--column today|log` overrides), so a run on
 * either build fills its own column and keeps the other's. docs/cost.md's generated sections are
 * written from that file and the prices below.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { createShardstep } from "../sdk/client";
import { maxLength, resolveShardConfig } from "../src/config/shard";
import { LOG_MIN_LENGTH, LOG_RING_IDLE_MS } from "../src/limits";
import { adminToken, cpuMs, DevServer } from "../test/e2e/support/server";
import { BENCH_CONFIG } from "../test/support/wrangler";
import { COST_HEADING, DISK_HEADING, renderCost, renderDisk } from "./cost-doc";
import { PRICES, priceOfMillionSteps, type Measured, type Measurements } from "./cost-prices";
import { replaceSection } from "./sections";
import { gradientOfPush } from "./stats";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const QUICK = process.argv.includes("--quick");
const STEPS = QUICK ? 5 : 100;
const ADAM = { rule: "adam", hyper: { lr: 1e-3 }, rate_limit: null } as const;
const SIZES = [1024, 2 ** 20, maxLength(resolveShardConfig({ ...ADAM, length: 1 }))];
const columnArg = process.argv[process.argv.indexOf("--column") + 1];
const measuredPath = join(root, "docs/cost-measured.json");
const docPath = join(root, "docs/cost.md");

// wrangler's local tracing of every invocation is not what production runs: off, like the platform's own costs.
process.env.X_LOCAL_OBSERVABILITY = "false";
const server = await DevServer.start({ config: BENCH_CONFIG, validate: false });
const token = await adminToken();
const api = createShardstep({ baseUrl: server.baseUrl, token, retry: false });
const runId = Date.now().toString(36);

interface Meter {
  rowsRead: number;
  rowsWritten: number;
  statements: number;
  databaseSize: number;
  id: string;
  tables: string[];
}

async function bench<T>(method: "GET" | "POST", route: string, shard: string): Promise<T> {
  const res = await fetch(`${server.baseUrl}/bench/${route}/${shard}`, { method, headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`${method} /bench/${route}/${shard}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Every file under `dir` whose name starts with `prefix`, with its size. */
function filesOf(dir: string, prefix: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(found, filesOf(path, prefix));
    else if (entry.name.startsWith(prefix)) found[entry.name.slice(prefix.length) || ".sqlite"] = statSync(path).size;
  }
  return found;
}

/** A push's path through the Worker to the shard's object, where the object writes nothing and answers the bytes (bench/floor). */
async function edgePath(shard: string, g: Float32Array): Promise<void> {
  const res = await fetch(`${server.baseUrl}/bench/floor/${shard}?pages=0`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
    body: new Uint8Array(g.buffer as ArrayBuffer),
  });
  if (!res.ok) throw new Error(`POST /bench/floor/${shard}: ${res.status}`);
  await res.arrayBuffer();
}

function gradient(n: number, seed: number): Float32Array {
  const g = new Float32Array(n);
  for (let i = 0; i < n; i++) g[i] = Math.sin(i * 0.001 + seed) * 1e-3;
  return g;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const runtimeCpu = () => server.workerdProcesses().filter((p) => p.role === "runtime").reduce((sum, p) => sum + cpuMs(p.pid), 0);

const results: Measured[] = [];
let walAnswers: Record<string, string> = {};
let tables: string[] = [];
try {
  for (const n of SIZES) {
    const shard = `cost-${n}-${runId}`;
    await api.createShard(shard, { ...ADAM, length: n });
    const g = gradient(n, n);
    await api.pushGradientSummary(shard, g);
    const before = await bench<Meter>("GET", "meter", shard);
    const latencies: number[] = [];
    for (let i = 0; i < STEPS; i++) {
      const pushed = gradientOfPush(g, i + 1);
      const t0 = performance.now();
      await api.pushGradientSummary(shard, pushed);
      latencies.push(performance.now() - t0);
    }
    const after = await bench<Meter>("GET", "meter", shard);
    const cpuBefore = runtimeCpu();
    const edgeCalls = QUICK ? 5 : 20;
    for (let i = 0; i < edgeCalls; i++) await edgePath(shard, g);
    const cpuPerStep = (runtimeCpu() - cpuBefore) / edgeCalls;
    const alarmed = await bench<Meter>("POST", "alarm", shard);
    // A logging shard keeps its log's ring of rows while busy; an alarm frees it once it has been idle for LOG_RING_IDLE_MS.
    const logs = after.tables.includes("gradient_log") && n >= LOG_MIN_LENGTH;
    if (logs) await new Promise((ok) => setTimeout(ok, LOG_RING_IDLE_MS + 500));
    const rested = logs ? await bench<Meter>("POST", "alarm", shard) : alarmed;
    if (n === SIZES[0]) walAnswers = await bench<Record<string, string>>("GET", "wal", shard);
    tables = after.tables;
    const files = filesOf(server.persistTo, `${after.id}.sqlite`);
    // The meter's own GETs are not statements of the shard: they ran none but their one (subtracted) query.
    const m: Measured = {
      parameters: n,
      steps: STEPS,
      rowsReadPerStep: (after.rowsRead - before.rowsRead) / STEPS,
      rowsWrittenPerStep: (after.rowsWritten - before.rowsWritten) / STEPS,
      statementsPerStep: (after.statements - before.statements) / STEPS,
      alarmRowsRead: alarmed.rowsRead - after.rowsRead,
      alarmRowsWritten: alarmed.rowsWritten - after.rowsWritten,
      medianMs: median(latencies),
      cpuMsPerStep: cpuPerStep,
      databaseSize: rested.databaseSize,
      ...(logs ? { databaseSizeBusy: alarmed.databaseSize } : {}),
      files,
    };
    results.push(m);
    const disk = Object.values(files).reduce((a, b) => a + b, 0);
    console.log(
      `adam ${n}: per step ${m.rowsReadPerStep.toFixed(1)} rows read, ${m.rowsWrittenPerStep.toFixed(1)} written, ${m.statementsPerStep.toFixed(1)} statements; ` +
        `alarm ${m.alarmRowsRead} read, ${m.alarmRowsWritten} written; median ${m.medianMs.toFixed(1)} ms; the edge path's CPU ${m.cpuMsPerStep.toFixed(2)} ms; ` +
        `databaseSize ${m.databaseSize} B${m.databaseSizeBusy === undefined ? "" : ` (${m.databaseSizeBusy} B before idle)`}; files ${JSON.stringify(files)} = ${(disk / n).toFixed(2)} B/param`,
    );
    await api.deleteShard(shard);
  }
} finally {
  await server.dispose();
}
console.log("WAL statements through ctx.storage.sql:", walAnswers);

const column = columnArg === "today" || columnArg === "log" ? columnArg : tables.includes("gradient_log") ? "log" : "today";
const commit = (() => {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
})();
const run = { at: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC", commit, cpu: os.cpus()[0]?.model.trim() ?? "unknown CPU", load: os.loadavg()[0]!, walAnswers, results };
for (const m of results) {
  const p = priceOfMillionSteps(m);
  console.log(`${column}: adam ${m.parameters}: $${p.total.toFixed(2)} per million steps (${JSON.stringify(Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Number(v.toFixed(3))])))})`);
}
if (QUICK) {
  console.log("(--quick: docs left as they are)");
} else {
  const all: Measurements = existsSync(measuredPath) ? JSON.parse(readFileSync(measuredPath, "utf8")) : {};
  all[column] = run;
  writeFileSync(measuredPath, JSON.stringify(all, null, 2) + "\n");
  let doc = readFileSync(docPath, "utf8");
  doc = replaceSection(doc, COST_HEADING, renderCost(all));
  doc = replaceSection(doc, DISK_HEADING, renderDisk(all));
  writeFileSync(docPath, doc);
  console.log(`wrote ${column} into docs/cost-measured.json and docs/cost.md (${PRICES.read})`);
}
