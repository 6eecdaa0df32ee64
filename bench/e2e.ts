/**
 * End-to-end benchmark: `npm run bench:e2e` (builds kernels.wasm and the SDK, then runs this with
 * `node --import tsx` and a young generation of a fixed size, so that this process's collector does
 * not change its ways partway through the rows: docs/benchmarks.md, "A long run on one shard").
 * Every row of shardstep pushes to shards created for it. Everything is measured from the client against a real
 * `wrangler dev -c bench/floor/wrangler.toml` on 127.0.0.1 with a temporary --persist-to
 * (test/e2e/support/server.ts), i.e. wrangler's proxy workerd, then the runtime workerd with the
 * Worker and its Durable Objects on SQLite. That is the bench Worker (bench/floor/worker.ts): the
 * production Worker, its routes and Durable Objects, plus the floor of (a), which production lacks.
 * (a) goes through the generated SDK (sdk/client.ts, Node's fetch); (b) and (c) through plain
 * HTTP/1.1 (bench/http-load.ts), cheaper on shared cores.
 *
 * (a) A 2^20-parameter Adam push answering the weights: ms per step (median), against a floor
 *     measured in the same run — POST /bench/floor/{shard} (bench/floor/worker.ts): the
 *     same bytes through the same client, auth, body read and RPC to the same object, which only
 *     writes as many 1 MiB pages as the push writes (weights + exp_avg + exp_avg_sq, 4 pages each)
 *     in one transaction and answers the bytes. Pushes and floors alternate. Also the peak RSS
 *     (VmHWM) of the workerd processes after (a).
 * (b) A 1024-parameter Adam shard: durable steps per second and p50/p99 latency at 1, 8 and 32
 *     concurrent clients (closed loop, each push with an Idempotency-Key), with
 *     `Prefer: return=minimal` and with the weights answered; through the URL wrangler serves (its
 *     dev proxy) and, for comparison, straight to the runtime workerd's own socket. With the CPU
 *     time per step of each process (client, proxy, runtime), from /proc. One row through the SDK;
 *     two rows of GET /health (no work) at 32 clients: the ceiling of each path on this machine.
 * (c) 16 shards of 1024 parameters updated in parallel (1, 16 and 32 clients; one client takes
 *     the shards in turn): aggregate steps/s, and at 32 clients as a ratio of one shard's at 32
 *     clients in the same run (the target: at least 0.9), in pairs, each order first as often, with
 *     the runtime's fsyncs traced over each row (bench/fsyncs.ts, Linux perf; "–" without it).
 * (d) (b)'s pushes over live sessions, one WebSocket per client (bench/live-load.ts), beside (b)'s
 *     HTTP rows; (e) the time from a push to the last of 1,000 subscribers' version notices
 *     (bench/fan-out.ts); (f) the peer, a minimal durable parameter server in Python
 *     (bench/peer/), under (b)'s load, and in pairs with (d)'s 32-client rows, back to back (each
 *     order in turn, as (c)'s pairs);
 *     bench/live-section.ts writes their part of the section.
 *     Beside (d)'s 32-client rows, each right after its (d) row, the socket floor of the same
 *     frames (bench/floor/live-floor.ts: each group of frames written in one transaction, one
 *     vector row and a key row per frame, then answered): what the platform allows a socket push.
 *
 * After the rows, the resident bytes per parameter of a 2^20 Adam shard after 100 pushes and of the
 * bench floor's same requests (bench/resident-memory.ts, bench:memory's measurement, at 2^20 only).
 *
 * wrangler's local observability (which traces every invocation into SQLite inside the runtime,
 * measured here at 2-5 ms of the runtime's CPU per push; production has no such thing) is off
 * (bench/observability.ts) for every row but the last ones of (d), measured again with it on.
 * `--observability` leaves it on throughout; the document says which.
 *
 * Prints the results and writes them to docs/benchmarks.md under "## End to end (npm run
 * bench:e2e)", replacing only that section. `--quick` shortens every phase (a smoke run; it does
 * not touch the docs).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createShardstep, type ShardConfigInput } from "../sdk/client";
import { adminToken, DevServer, memoryOf } from "../test/e2e/support/server";
import { BENCH_CONFIG } from "../test/support/wrangler";
import { closedLoop, type Load, type Send } from "./closed-loop";
import { fanOut, type FanOut } from "./fan-out";
import { HttpLoad } from "./http-load";
import { logStepLines, measureLogStep, postFloor } from "./log-step";
import { ENGINE_BYTES_PER_PARAM, outsideIsolatePerParam, residentMemory, TARGET_BYTES_PER_PARAM } from "./resident-memory";
import { httpPushes } from "./http-push";
import { liveFloorCounts, liveFloorUrl } from "./floor/live-floor-route";
import { livePushes } from "./live-load";
import { liveSection, type PeerPair } from "./live-section";
import { fmt, loadTableHead, loadTableRow } from "./load-table";
import { localObservability } from "./observability";
import { PeerBench, peerRows } from "./peer/peer-rows";
import { replaceSection } from "./sections";
import { gradientOfPush, median, percentile, randomGradient } from "./stats";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const QUICK = process.argv.includes("--quick");
const OBSERVABILITY = process.argv.includes("--observability");
const MiB = 1024 * 1024;
const PAGE_FLOATS = 262_144;

const started = performance.now();
/** The machine's 1-minute load average before we start: other work skews every figure. */
const loadBefore = os.loadavg()[0]!;

const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

// ---------------------------------------------------------------------------------------------
// The server.

localObservability(OBSERVABILITY);
const server = await DevServer.start({ config: BENCH_CONFIG, validate: false });
const token = await adminToken();
// Retries off: every failure is counted, and no latency hides a retry.
const api = createShardstep({ baseUrl: server.baseUrl, token, retry: false });
const versions = {
  node: process.version,
  wrangler: JSON.parse(readFileSync(join(root, "node_modules/wrangler/package.json"), "utf8")).version as string,
  // The binary wrangler runs (its own dependency's, which may differ from the project's node_modules/.bin/workerd).
  workerd: (() => {
    try {
      return execFileSync(readlinkSync(`/proc/${server.runtimePid()}/exe`), ["--version"], { encoding: "utf8" }).trim();
    } catch {
      return "workerd (version unknown)";
    }
  })(),
};

const workerdProcesses = () => server.workerdProcesses();

try {
  // -------------------------------------------------------------------------------------------
  // (a) 2^20 Adam push with weights vs the floor.
  const N = 2 ** 20;
  const bigShard = "bench-e2e-adam-1m";
  // Its pages written at every step, as the floor's 12 pages say; (a') below measures the gradient log.
  const bigConfig = { length: N, rule: "adam", hyper: { lr: 1e-3 }, rate_limit: null, gradient_log: { max_steps: 0, max_bytes: 0 } } satisfies ShardConfigInput;
  await api.createShard(bigShard, bigConfig, { replace: true });
  const vectors = 3; // weights, exp_avg, exp_avg_sq; no averages
  const floorPages = vectors * Math.ceil(N / PAGE_FLOATS);
  const bigGradient = randomGradient(N, 1);

  // Each request its own bytes (gradientOfPush), made before its clock starts.
  let seq = 0;
  const nextGradient = () => gradientOfPush(bigGradient, seq++);
  const floor = (g: Float32Array) => postFloor(api, bigShard, g, floorPages);
  // No Idempotency-Key (the client sends one by default): the floor hashes nothing either.
  const push = (g: Float32Array) => api.pushGradient(bigShard, g, { idempotencyKey: false });

  const echoed = await floor(bigGradient);
  if (echoed.length !== N || echoed[12345] !== bigGradient[12345]) throw new Error("the floor did not echo the bytes");
  for (let i = 0; i < (QUICK ? 2 : 5); i++) {
    await push(nextGradient());
    await floor(nextGradient());
  }
  const memoryBefore = workerdProcesses().map((p) => ({ ...p, memory: memoryOf(p.pid) }));
  const reps = QUICK ? 8 : 40;
  const pushMs: number[] = [];
  const floorMs: number[] = [];
  let peakRss = 0;
  const sampled = memoryBefore.map((p) => p.pid);
  const sampler = setInterval(() => {
    for (const pid of sampled) peakRss = Math.max(peakRss, memoryOf(pid)?.current ?? 0);
  }, 20);
  for (let i = 0; i < reps; i++) {
    // Alternate which goes first, so that drift and caches favour neither.
    const order = i % 2 === 0 ? (["push", "floor"] as const) : (["floor", "push"] as const);
    for (const which of order) {
      const g = nextGradient();
      const t0 = performance.now();
      if (which === "push") {
        const r = await push(g);
        if (r.weights.length !== N) throw new Error("push answered the wrong length");
        pushMs.push(performance.now() - t0);
      } else {
        await floor(g);
        floorMs.push(performance.now() - t0);
      }
    }
  }
  clearInterval(sampler);
  const memoryAfter = workerdProcesses().map((p) => ({ ...p, memory: memoryOf(p.pid) }));
  const a = {
    pushMs: median(pushMs),
    floorMs: median(floorMs),
    pushP90: percentile(pushMs, 90),
    floorP90: percentile(floorMs, 90),
    reps,
    pages: floorPages,
    memoryBefore,
    memoryAfter,
    peakRss,
  };
  const ratio = a.pushMs / a.floorMs;
  console.log(`(a) 2^20 adam push with weights: ${fmt(a.pushMs)} ms median (p90 ${fmt(a.pushP90)}), floor ${fmt(a.floorMs)} ms (p90 ${fmt(a.floorP90)}), ${fmt(ratio, 2)}x floor; ${reps} each, ${floorPages} pages of 1 MiB`);
  for (const p of memoryAfter) console.log(`    workerd ${p.role} (pid ${p.pid}): VmHWM ${mib(p.memory?.peak ?? NaN)}, VmRSS ${mib(p.memory?.current ?? NaN)}`);
  await api.deleteShard(bigShard);
  const logStep = logStepLines(await measureLogStep(api, bigGradient, QUICK ? 8 : 40, Date.now().toString(36)));
  for (const line of logStep) if (line) console.log(line);

  // -------------------------------------------------------------------------------------------
  // (b) 1K-parameter shard at 1, 8, 32 clients; (c) 16 shards.
  const SMALL = 1024;
  const seconds = QUICK ? 1 : 3;
  const smallConfig = { length: SMALL, rule: "adam", hyper: { lr: 1e-3 }, rate_limit: null } satisfies ShardConfigInput;
  const gradients = Array.from({ length: 64 }, (_, i) => randomGradient(SMALL, 100 + i));
  const runId = Date.now().toString(36);

  const warmupMs = QUICK ? 150 : 400;
  /** Pairs of rows measured back to back ((c): 16 shards and one; (f): our sockets and the peer); even, so that each order comes as often. */
  const PAIRS = QUICK ? 2 : 4;
  /** Pair i's two rows, measured back to back: a then b in even pairs, b then a in odd ones. */
  const inTurn = async <A, B>(i: number, a: () => Promise<A>, b: () => Promise<B>): Promise<[A, B]> => {
    if (i % 2 === 0) {
      const first = await a();
      return [first, await b()];
    }
    const second = await b();
    return [await a(), second];
  };
  const load = (send: Send, clients: number, seconds: number, fsyncs = false) => closedLoop(send, clients, seconds, { warmupMs, processes: workerdProcesses, fsyncs });

  type Path = "proxy" | "direct";
  /** What a row sends: pushes to 1K shards (answering a summary or the weights), or GET /health (no work at all). */
  type Work = "minimal" | "weights" | "health";
  type Client = "http" | "sdk" | "socket" | "deflate" | "floor";
  const clientLabel: Record<Client, string> = { http: "http", sdk: "@shardstep/client", socket: "socket (live session)", deflate: "socket, deflate offered", floor: "socket floor (bench)" };

  /** The base URL of a path; the runtime's own socket changes when wrangler reloads the Worker, so it is looked up each time. */
  async function baseUrlOf(path: Path): Promise<string> {
    if (path === "proxy") return server.baseUrl;
    const baseUrl = await server.runtimeBaseUrl();
    if (!baseUrl) throw new Error("cannot find the runtime workerd's entry socket");
    return baseUrl;
  }

  /**
   * The sender of a row: client c pushes to shards[c % shards.length], or, with fewer clients than
   * shards, to each shard in turn (each push with an Idempotency-Key and its own X-Client-Id).
   */
  async function sender(path: Path, client: Client, work: Work, shards: string[], clients: number, tag: string): Promise<{ send: Send; close: () => void }> {
    const baseUrl = await baseUrlOf(path);
    const key = (c: number, seq: number) => `${runId}-${tag}-${c}-${seq}`;
    const shardOf = (c: number, seq: number) => shards[(clients < shards.length ? seq : c) % shards.length]!;
    if (client === "socket" || client === "deflate") {
      return livePushes(baseUrl, token, shards[0]!, clients, gradients, key, work === "weights" ? "weights" : "summary", { deflate: client === "deflate" });
    }
    if (client === "floor") {
      const url = liveFloorUrl(baseUrl, shards[0]!, work === "weights" ? "weights" : "minimal");
      return livePushes(baseUrl, token, shards[0]!, clients, gradients, key, work === "weights" ? "weights" : "summary", { url });
    }
    if (client === "sdk") {
      const sdk = createShardstep({ baseUrl, token, retry: false });
      const send: Send = (c, seq) => {
        const options = { idempotencyKey: key(c, seq), clientId: `bench-${c}` };
        const shard = shardOf(c, seq);
        const g = gradients[seq % gradients.length]!;
        return work === "minimal" ? sdk.pushGradientSummary(shard, g, options) : sdk.pushGradient(shard, g, options);
      };
      return { send, close: () => undefined };
    }
    const http = new HttpLoad(baseUrl, clients);
    const send: Send = work === "health" ? () => http.send({ method: "GET", path: "/health", headers: {} }) : httpPushes(http, token, shards, gradients, key, work === "minimal", clients);
    return { send, close: () => http.close() };
  }

  /** Pushes per write transaction over a row (warm-up included): the mean group of the group commit. */
  type Row = { path: Path; client: Client; work: Work; clients: number; shards: number; load: Load; group: number | undefined };

  /** Pushes and write transactions the shards have counted so far (their status). */
  async function shardCounts(shards: string[]): Promise<{ pushes: number; writes: number }> {
    const all = await Promise.all(shards.map((s) => api.getStatus(s)));
    return { pushes: all.reduce((n, s) => n + s.pushes, 0), writes: all.reduce((n, s) => n + s.writes, 0) };
  }

  /** The same counts of the socket floor's object (its pushes and its write transactions). */
  async function floorCounts(shards: string[]): Promise<{ pushes: number; writes: number }> {
    return liveFloorCounts(server.baseUrl, shards[0]!, token);
  }

  /** Rows measured so far: every row's Idempotency-Keys are its own (a row measured again must not replay an earlier row's pushes). */
  let rowsMeasured = 0;
  /**
   * A row on `shardCount` shards created for it (or, for the socket floor, an object of its own),
   * deleted after it: under `wrangler dev` the runtime runs with its inspector, whose trace of async
   * activity costs an object more per event the longer it has served (bench:soak, docs/benchmarks.md),
   * so no row inherits the pushes of the rows before it. Measured again once when wrangler reloaded
   * the Worker under it (a source file changed) or requests failed.
   */
  async function row(path: Path, client: Client, work: Work, shardCount: number, clients: number, options: { fsyncs?: boolean } = {}): Promise<Row> {
    const rowId = rowsMeasured;
    const shards = Array.from({ length: shardCount }, (_, i) => `bench-e2e-${client === "floor" ? "floor-live" : "row"}-${runId}-${rowId}-${i}`);
    const own = client !== "floor";
    if (own) for (const shard of shards) await api.createShard(shard, smallConfig);
    try {
      const counts = client === "floor" ? floorCounts : shardCounts;
      const measure = async (attempt: number) => {
        const { send, close } = await sender(path, client, work, shards, clients, `${path}-${client}-${work}-${clients}-${shards.length}-${attempt}-${rowsMeasured++}`);
        try {
          return await load(send, clients, seconds, options.fsyncs);
        } finally {
          close();
        }
      };
      let before = await counts(shards);
      let result = await measure(0);
      if (result.reloaded || result.errors > 0) {
        console.log(`    (measuring again: ${result.reloaded ? "the Worker was reloaded" : `${result.errors} requests failed`})`);
        before = await counts(shards);
        result = await measure(1);
      }
      const after = await counts(shards);
      const writes = after.writes - before.writes;
      return { path, client, work, clients, shards: shards.length, load: result, group: writes > 0 ? (after.pushes - before.pushes) / writes : undefined };
    } finally {
      if (own) for (const shard of shards) await api.deleteShard(shard);
    }
  }

  const describeLoad = (r: Load) =>
    `${fmt(r.steps, 0)}/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms; CPU ms/request client ${fmt(r.cpu.client, 2)}, proxy ${fmt(r.cpu.proxy, 2)}, runtime ${fmt(r.cpu.runtime, 2)}` +
    `${r.errors ? `; ${r.errors} failed requests` : ""}${r.reloaded ? "; WRANGLER RELOADED THE WORKER DURING THIS ROW" : ""}`;
  const label = (r: Row) => `${r.path === "proxy" ? "via wrangler's proxy" : "direct to the runtime"}, ${clientLabel[r.client]}, ${r.clients} clients, ${r.work}`;

  const b: Row[] = [];
  const measured = async (r: Promise<Row>, list: Row[], prefix: string) => {
    const done = await r;
    list.push(done);
    console.log(`${prefix} ${label(done)}: ${describeLoad(done.load)}${done.group === undefined ? "" : `; ${fmt(done.group, 1)} pushes per write`}`);
  };
  for (const path of ["proxy", "direct"] as const) {
    for (const clients of [1, 8, 32]) {
      for (const work of ["minimal", "weights"] as const) await measured(row(path, "http", work, 1, clients), b, "(b) 1K adam,");
    }
  }
  // The same pushes through the SDK (fetch): what a heavier client costs on this shared machine.
  await measured(row("proxy", "sdk", "minimal", 1, 32), b, "(b) 1K adam,");
  // (d) The same pushes over live sessions, one socket per client (bench/live-section.ts); each
  // 32-client row followed by the socket floor's row of the same path and answer.
  const d: Row[] = [];
  const floors: Row[] = [];
  const liveClients = QUICK ? [32] : [1, 8, 32];
  for (const path of ["proxy", "direct"] as const) {
    for (const clients of liveClients) {
      for (const work of ["minimal", "weights"] as const) {
        await measured(row(path, "socket", work, 1, clients), d, "(d) 1K adam,");
        if (clients === 32) await measured(row(path, "floor", work, 1, clients), floors, "(d) floor,");
      }
    }
  }
  // (d)'s 32-client rows again from clients that offer permessage-deflate, as Node's global WebSocket and browsers do.
  const deflated: Row[] = [];
  for (const path of ["proxy", "direct"] as const) {
    for (const work of ["minimal", "weights"] as const) await measured(row(path, "deflate", work, 1, 32), deflated, "(d) deflate offered,");
  }
  // A route that does nothing: the most any request can do through each path on this machine.
  const noop: Row[] = [];
  for (const path of ["proxy", "direct"] as const) await measured(row(path, "http", "health", 0, 32), noop, "(b) GET /health,");

  const c: Row[] = [];
  for (const clients of [1, 16, 32]) await measured(row("proxy", "http", "minimal", 16, clients), c, "(c) 16 shards,");
  // 16 shards against one at 32 clients, in pairs measured back to back, so that the machine's other work weighs on both alike;
  // the order flips from pair to pair, so that a drift of the machine's speed over the pairs favours neither.
  const pairs: { one: Row; many: Row }[] = [];
  /** A row's fsyncs per step (2 decimals) or ms blocked in them per step (3), "–" when perf could not trace them. */
  const fsyncCell = (r: Row, what: "perStep" | "msPerStep") => (r.load.fsyncs ? fmt(r.load.fsyncs[what], what === "perStep" ? 2 : 3) : "–");
  for (let i = 0; i < PAIRS; i++) {
    const [one, many] = await inTurn(i, () => row("proxy", "http", "minimal", 1, 32, { fsyncs: true }), () => row("proxy", "http", "minimal", 16, 32, { fsyncs: true }));
    const pair = { one, many };
    pairs.push(pair);
    const fsyncText = (r: Row) => `${fsyncCell(r, "perStep")} fsyncs, ${fsyncCell(r, "msPerStep")} ms in fsync per step`;
    console.log(
      `(c) pair ${i + 1}: 16 shards ${fmt(pair.many.load.steps, 0)}/s (${fsyncText(pair.many)}), one shard ${fmt(pair.one.load.steps, 0)}/s (${fsyncText(pair.one)}): ${fmt(pair.many.load.steps / pair.one.load.steps, 2)}x`,
    );
  }

  // (e) 1,000 subscribers of one shard's version notices; (f) the peer under (b)'s load; then (d)'s
  // 32-client rows again with wrangler's local observability on (a restart of wrangler, so last).
  const e: { path: Path; result: FanOut }[] = [];
  for (const path of ["direct", "proxy"] as const) {
    const shard = `bench-e2e-fan-out-${runId}-${path}`;
    await api.createShard(shard, smallConfig);
    const result = await fanOut({ baseUrl: await baseUrlOf(path), token, shard, subscribers: QUICK ? 50 : 1000, versions: QUICK ? 5 : 200, gradient: gradients[0]!, processes: workerdProcesses });
    console.log(`(e) fan-out ${path}: ${JSON.stringify(result)}`);
    e.push({ path, result });
    await api.deleteShard(shard);
  }
  const f = await peerRows({ clients: liveClients, seconds, warmupMs, length: SMALL, gradients });
  for (const p of f) console.log(`(f) peer, ${p.clients} clients, ${p.work}: ${describeLoad(p.load)}; ${fmt(p.group ?? NaN, 1)} pushes per commit`);
  // Sockets against the peer side by side: rounds of (d)'s 32-client socket rows, each right before the peer's row of the same answer.
  const peerPairs: PeerPair<Row>[] = [];
  const peerBench = await PeerBench.start({ seconds, warmupMs, length: SMALL, gradients });
  try {
    for (let i = 0; i < PAIRS; i++) {
      for (const path of ["proxy", "direct"] as const) {
        for (const work of ["minimal", "weights"] as const) {
          const [ours, peer] = await inTurn(i, () => row(path, "socket", work, 1, 32), () => peerBench.row(work, 32));
          const pair = { round: i + 1, path, work, ours, peer };
          peerPairs.push(pair);
          console.log(`(f) pair ${i + 1}, ${path}, ${work}: sockets ${fmt(pair.ours.load.steps, 0)}/s, the peer ${fmt(pair.peer.load.steps, 0)}/s: ${fmt(pair.ours.load.steps / pair.peer.load.steps, 2)}x`);
        }
      }
    }
  } finally {
    await peerBench.stop();
  }
  localObservability(true);
  await server.restart();
  const traced: Row[] = [];
  for (const path of ["proxy", "direct"] as const) {
    for (const client of ["http", "socket"] as const) await measured(row(path, client, "minimal", 1, 32), traced, "(d) observability on,");
  }

  // -------------------------------------------------------------------------------------------
  // Resident bytes per parameter: bench:memory's measurement at 2^20 (a fresh wrangler dev each), the shard and its floor.
  const residentPushes = QUICK ? 10 : 100;
  const resident = await residentMemory(N, residentPushes);
  const residentFloor = await residentMemory(N, residentPushes, resident.idleMs, "floor");
  console.log(`resident: ${fmt(resident.perParam, 1)} B/param after ${residentPushes} pushes (the floor ${fmt(residentFloor.perParam, 1)})`);

  // -------------------------------------------------------------------------------------------
  // Targets and the document.
  const at32 = (path: Path) => b.filter((r) => r.clients === 32 && r.path === path && r.client === "http");
  const met = (ok: boolean) => (ok ? "**met**" : "**not met**");
  const stepsAt32 = (path: Path) => at32(path).map((r) => `${fmt(r.load.steps, 0)} (${r.work})`).join(", ");
  const p99At32 = (path: Path) => at32(path).map((r) => `${fmt(r.load.p99, 1)} ms (${r.work})`).join(", ");
  const worstSteps = Math.min(...at32("proxy").map((r) => r.load.steps));
  const worstP99 = Math.max(...at32("proxy").map((r) => r.load.p99));
  const health = (path: Path) => noop.find((r) => r.path === path)!.load;
  // Many shards against one, same run: 32 clients (return=minimal, wrangler's URL); one client, what each object adds per push.
  const oneShard = (clients: number) => b.find((r) => r.path === "proxy" && r.client === "http" && r.work === "minimal" && r.clients === clients)!;
  const manyShards = (clients: number) => c.find((r) => r.clients === clients)!;
  const sum = (rows: Row[]) => rows.reduce((n, r) => n + r.load.steps, 0);
  const scale = sum(pairs.map((p) => p.many)) / sum(pairs.map((p) => p.one));
  const pairRatios = pairs.map((p) => p.many.load.steps / p.one.load.steps);
  const scaleRange = `${fmt(Math.min(...pairRatios), 2)}–${fmt(Math.max(...pairRatios), 2)}×`;
  const perGroup = (r: Row) => (r.group === undefined ? "–" : fmt(r.group, 1));
  const fsyncTraces = pairs.flatMap((p) => [p.one, p.many]).flatMap((r) => (r.load.fsyncs ? [r.load.fsyncs] : []));
  const fsyncThreads =
    fsyncTraces.length === 0
      ? "perf could not run here: install Debian's linux-perf"
      : fsyncTraces.every((t) => t.main)
        ? "in every row, every fsync came from the runtime's main thread, where workerd runs its event loop"
        : `the fsyncs of a row came from ${[...new Set(fsyncTraces.map((t) => t.threads))].join(" or ")} threads of the runtime`;
  console.log(`16 shards / one shard at 32 clients: ${fmt(scale, 2)}x over ${pairs.length} pairs (each ${scaleRange})`);
  const targets = [
    `- 2^20 Adam push with weights ≤ 1.3× the floor: ${fmt(ratio, 2)}× (${fmt(a.pushMs)} ms vs ${fmt(a.floorMs)} ms) — ${met(ratio <= 1.3)}`,
    `- 1K shard at 32 clients ≥ 500 durable steps/s: ${stepsAt32("proxy")} (direct to the runtime: ${stepsAt32("direct")}) — ${met(worstSteps >= 500)}; ` +
      `side by side with GET /health, which does nothing, in the same run: ${fmt(worstSteps / health("proxy").steps, 2)}× its ${fmt(health("proxy").steps, 0)}/s through wrangler's URL`,
    `- 1K shard at 32 clients p99 ≤ 50 ms: ${p99At32("proxy")} (direct to the runtime: ${p99At32("direct")}) — ${met(worstP99 <= 50)}; ` +
      `GET /health, which does nothing, at 32 clients: p99 ${fmt(health("proxy").p99, 1)} ms through wrangler's URL, ${fmt(health("direct").p99, 1)} ms direct`,
    `- 16 shards at 32 clients ≥ 0.9× one shard at 32 clients, in the same run: **${fmt(scale, 2)}×** over ${pairs.length} pairs measured back to back, in turn each first ` +
      `(${fmt(sum(pairs.map((p) => p.many)), 0)} against ${fmt(sum(pairs.map((p) => p.one)), 0)} steps/s summed; each pair ${scaleRange}; ` +
      `pushes per write ${pairs.map((p) => perGroup(p.many)).join(", ")} per shard against ${pairs.map((p) => perGroup(p.one)).join(", ")}` +
      (fsyncTraces.length === pairs.length * 2
        ? `; the runtime's thread blocked in fsync ${pairs.map((p) => fsyncCell(p.many, "msPerStep")).join(", ")} ms per step against ${pairs.map((p) => fsyncCell(p.one, "msPerStep")).join(", ")}`
        : "") +
      `) — ${met(scale >= 0.9)}`,
  ];
  const proxy32 = at32("proxy").find((r) => r.work === "minimal")!.load;
  const direct32 = at32("direct").find((r) => r.work === "minimal")!.load;
  const serverCpu = proxy32.cpu.proxy + proxy32.cpu.runtime;
  const totalSeconds = (performance.now() - started) / 1000;
  const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
  const now = new Date();
  const workLabel: Record<Work, string> = { minimal: "push, `return=minimal`", weights: "push, weights (4 KiB)", health: "GET /health" };
  const loadRow = (r: Row) =>
    loadTableRow({ ...r, to: r.path === "proxy" ? "wrangler's URL" : "runtime's socket", client: clientLabel[r.client], request: workLabel[r.work], proxied: r.path === "proxy" });
  const tableHead = loadTableHead;
  const section = [
    "## End to end (npm run bench:e2e)",
    "",
    `Run ${now.toISOString().slice(0, 16).replace("T", " ")} UTC on ${cpu} (${os.cpus().length} cores), Node ${versions.node}, wrangler ${versions.wrangler}, ${versions.workerd}; ${fmt(totalSeconds, 0)} s; ` +
      `load average ${fmt(loadBefore, 2)} before the run${loadBefore > 0.5 ? " (other work was running: figures are lower than on an idle machine)" : ""}; ` +
      `wrangler's local observability ${OBSERVABILITY ? "on (`--observability`: it traces every invocation into SQLite in the runtime)" : "off (`X_LOCAL_OBSERVABILITY=false`; production has no such tracing)"}.`,
    "",
    "`npm run bench:e2e` starts `wrangler dev -c bench/floor/wrangler.toml --ip 127.0.0.1 --port <free> --persist-to <tmp> --var AUTH_SECRET:<dev secret>` " +
      "(test/e2e/support/server.ts): the bench Worker (bench/floor/worker.ts), the production Worker with its routes and Durable Objects plus the floor of (a), which is not in the production bundle. " +
      "It measures from the client, on the URL wrangler serves: wrangler's dev proxy (a workerd of its own) forwarding to the runtime workerd, " +
      "where the Worker calls the shard's Durable Object (SQLite on disk). The client, wrangler and both workerd processes share the machine's cores. " +
      "(b) also goes straight to the runtime's own socket, without the proxy's hop, which production does not have. " +
      "(a) uses the SDK (sdk/client.ts, Node's fetch); (b) and (c) use plain HTTP/1.1 with kept-alive sockets (bench/http-load.ts), which costs the shared cores less, with one row through the SDK for comparison. " +
      "wrangler's local observability (a trace of every invocation written to SQLite in the runtime) is off for every row but the last table of (d), which measures it on (bench/observability.ts).",
    "",
    `**(a) One 2^20-parameter Adam push answering the weights** (4 MiB up, 4 MiB back, ${a.pages} pages of 1 MiB written: weights, exp_avg, exp_avg_sq), ` +
      `median of ${a.reps} after warm-up, alternated with the floor: \`POST /bench/floor/{shard}\` with as many bytes (every request its own: SQLite skips a page whose bytes did not change) through the same client, ` +
      `auth, body read and RPC to the same object, which writes ${a.pages} pages of 1 MiB in one \`transactionSync\` and answers the bytes ` +
      "(served only by the bench Worker; not in openapi.yaml).",
    "",
    "| request | median ms | p90 ms | × floor |",
    "|---|---:|---:|---:|",
    `| push (adam, 2^20, weights answered) | ${fmt(a.pushMs)} | ${fmt(a.pushP90)} | **${fmt(ratio, 2)}×** |`,
    `| floor (same bytes, ${a.pages} page writes, echo) | ${fmt(a.floorMs)} | ${fmt(a.floorP90)} | 1.00× |`,
    "",
    `Peak RSS (VmHWM) of the workerd processes after (a): ${memoryAfter
      .map((p) => `${p.role} ${mib(p.memory?.peak ?? NaN)} (VmRSS before (a) ${mib(memoryBefore.find((q) => q.pid === p.pid)?.memory?.current ?? NaN)}, after ${mib(p.memory?.current ?? NaN)})`)
      .join("; ")}; highest VmRSS sampled every 20 ms during (a): ${mib(a.peakRss)}. ` +
      "That is the whole process (workerd itself, SQLite's cache, request buffers, every isolate), not the 128 MB budget of one isolate; the shard holds 16 MiB of wasm memory (weights, gradient, two moments).",
    "",
    `**Resident bytes per parameter** (\`npm run bench:memory\`'s measurement, bench/resident-memory.ts, at 2^20 only, after this run's rows; a fresh \`wrangler dev\` for each line): ` +
      `the runtime's VmRSS over its baseline with no shard, divided by the parameters, after ${residentPushes} pushes of a 2^20 Adam shard answering the weights; ` +
      `then the same ${residentPushes} requests to the bench floor, which keeps no state (no engine, none of shardstep's work).`,
    "",
    `- the Adam shard: ${fmt(resident.perParam, 1)} B/param after the pushes (${fmt(resident.perParamIdle, 1)} after ${resident.idleMs / 1000} s idle), its engine's share ${ENGINE_BYTES_PER_PARAM}; the isolate's own ${fmt(resident.isolatePerParam.after, 1)}`,
    `- the floor: ${fmt(residentFloor.perParam, 1)} B/param after the requests, its isolate's own ${fmt(residentFloor.isolatePerParam.after, 1)}, outside its isolate ${fmt(outsideIsolatePerParam(residentFloor), 1)}`,
    `- ≤ ${TARGET_BYTES_PER_PARAM} B/param: ${fmt(resident.perParam, 1)} — ${met(resident.perParam <= TARGET_BYTES_PER_PARAM)}` +
      (outsideIsolatePerParam(residentFloor) > TARGET_BYTES_PER_PARAM - ENGINE_BYTES_PER_PARAM
        ? `; the floor alone leaves ${fmt(outsideIsolatePerParam(residentFloor), 1)} B/param outside its isolate, where the target leaves ${TARGET_BYTES_PER_PARAM - ENGINE_BYTES_PER_PARAM} beside the engine (bench:memory's section says more)`
        : ""),
    "",
    ...logStep,
    "",
    "**(b) One 1024-parameter Adam shard**, closed-loop clients (each waits for its answer, then pushes again; every push with an Idempotency-Key and its own X-Client-Id; `rate_limit: null`), " +
      `${seconds} s per row after a warm-up. Every row of shardstep in (b)–(d) and in the pairs of (c) and (f) pushes to shards created for it (and deleted after it; the socket floor: an object of its own): under \`wrangler dev\` the runtime runs with its inspector, whose trace of async activity costs an object more per event the longer it has served (\`npm run bench:soak\`, "A long run on one shard" below), and production has no inspector, so no row inherits the pushes of the rows before it. ` +
      `Every step counted was acknowledged, so it is durable: pushes that reach the object together are applied one by one and written in one transaction before any of them is answered (src/shard/pushes/group-commit.ts). ` +
      "CPU ms per request: client / wrangler's proxy / runtime workerd, from /proc (10 ms ticks over the row). Pushes per write: the pushes the shard counted over the row, warm-up included, divided by its write transactions (`writes` in its status). The last two rows send `GET /health`, a route that does no work: no request can do better through that path.",
    "",
    ...tableHead,
    ...b.map(loadRow),
    ...noop.map(loadRow),
    "",
    "**(c) 16 shards of 1024 parameters updated in parallel** (clients spread evenly over the shards, or one client taking them in turn; `return=minimal`, through wrangler's URL). " +
      `One client taking the 16 shards in turn costs the runtime ${fmt(manyShards(1).load.cpu.runtime, 2)} ms of CPU per push against ${fmt(oneShard(1).load.cpu.runtime, 2)} ms for one client on one shard: what an object adds per push when every push is its own write. ` +
      "At 32 clients each shard has 2 clients, so a write holds at most 2 of its pushes, where one shard's 32 clients share each write (pushes per write): " +
      "every write is a SQLite commit and an fsync of that object's write-ahead log on the runtime's one thread.",
    "",
    ...tableHead,
    ...c.map(loadRow),
    "",
    "16 shards against one, at 32 clients (`return=minimal`, wrangler's URL), in pairs measured back to back (one shard first in odd pairs, the 16 shards first in even ones). " +
      "The runtime's fsyncs over each row are traced with `perf trace -s -e fsync,fdatasync` (bench/fsyncs.ts; filtered in the kernel, so no other call pays for it): " +
      `ms in fsync per step is time the runtime's thread, which runs every object, spends blocked (${fsyncThreads}).`,
    "",
    "| pair | one shard, steps/s | 16 shards, steps/s | ratio | pushes per write (one / 16) | runtime CPU ms per step (one / 16) | fsyncs per step (one / 16) | ms in fsync per step (one / 16) |",
    "|---:|---:|---:|---:|---|---|---|---|",
    ...pairs.map(
      (p, i) =>
        `| ${i + 1} | ${fmt(p.one.load.steps, 0)} | ${fmt(p.many.load.steps, 0)} | ${fmt(p.many.load.steps / p.one.load.steps, 2)}× | ${perGroup(p.one)} / ${perGroup(p.many)} | ${fmt(p.one.load.cpu.runtime, 2)} / ${fmt(p.many.load.cpu.runtime, 2)} | ` +
        `${fsyncCell(p.one, "perStep")} / ${fsyncCell(p.many, "perStep")} | ${fsyncCell(p.one, "msPerStep")} / ${fsyncCell(p.many, "msPerStep")} |`,
    ),
    "",
    "Targets:",
    "",
    ...targets,
    "",
    `Where the time goes at 32 clients (return=minimal, wrangler's URL): ${fmt(proxy32.cpu.client + serverCpu, 2)} ms of CPU per step on a machine of ${os.cpus().length} cores ` +
      `(client ${fmt(proxy32.cpu.client, 2)}, wrangler's proxy ${fmt(proxy32.cpu.proxy, 2)}, runtime ${fmt(proxy32.cpu.runtime, 2)}). ` +
      `The runtime runs the Worker and every object on one thread, so it alone allows ~${fmt(1000 / proxy32.cpu.runtime, 0)} steps/s (direct: ${fmt(direct32.cpu.runtime, 2)} ms, ~${fmt(1000 / direct32.cpu.runtime, 0)}); ` +
      `of its ${fmt(direct32.cpu.runtime, 2)} ms per push, ${fmt(health("direct").cpu.runtime, 2)} ms is what it spends on a request that does nothing (GET /health, direct). ` +
      `Latency follows from throughput: 32 closed-loop clients at ${fmt(proxy32.steps, 0)} steps/s wait 32 / ${fmt(proxy32.steps, 0)} ≈ ${fmt((32 / proxy32.steps) * 1000, 0)} ms on average (Little's law), ` +
      `so a p99 of 50 ms at 32 clients needs well over 640 steps/s; GET /health itself reaches ${fmt(health("proxy").steps, 0)}/s with a p99 of ${fmt(health("proxy").p99, 1)} ms through wrangler's URL on this machine.`,
    "",
    ...liveSection({ rows: [...b, ...d], traced, deflated, fanOut: e, peer: f, peerPairs, floors, render: loadRow }),
  ].join("\n");

  console.log("\n" + section);
  if (QUICK) {
    console.log("(--quick: docs/benchmarks.md left as it is)");
  } else {
    const docPath = join(root, "docs/benchmarks.md");
    const doc = existsSync(docPath) ? readFileSync(docPath, "utf8") : "# Benchmarks\n";
    writeFileSync(docPath, replaceSection(doc, "## End to end (npm run bench:e2e)", section));
    console.log("wrote docs/benchmarks.md");
  }
} finally {
  await server.dispose();
}
