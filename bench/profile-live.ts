/**
 * Where the runtime's CPU goes per push, over HTTP and over a live session's socket:
 * `npm run bench:profile-live [-- --seconds 5 --clients 32 --path direct|proxy --answer summary|weights
 *   --length 1024 --transport both|http|socket|floor|socket-floor --deflate --log-steps N --log-bytes B]`.
 *
 * Starts the bench Worker in `wrangler dev` (wrangler's local observability off), creates an Adam
 * shard of `length` parameters (1K by default) and for each transport (`both`: HTTP, then sockets)
 * runs `clients` closed-loop clients (bench/closed-loop.ts) pushing with Idempotency-Keys (a
 * summary answer, `return=minimal` over HTTP, or with `--answer weights` the new weights) while
 * the Worker's isolate is profiled (bench/cpu-profile.ts).
 * - `--length 1048576 --clients 1 --transport http` profiles the large push of bench:e2e's (a'),
 *   `--transport floor` the same requests to its new floor (`POST /bench/floor/{shard}`: one
 *   vector's pages written, the bytes echoed);
 * - `--transport socket-floor` sends the socket pushes to the socket floor of bench:e2e's (d)
 *   (bench/floor/live-floor.ts);
 * - `--deflate` opens the sockets offering permessage-deflate (bench/live-session.ts).
 * Prints per push: the CPU of each process (from /proc), the isolate's sampled time by kind
 * (JavaScript, garbage collection, native "(program)": SQLite, sockets, fsync), and the
 * JavaScript's self time by source file and by function.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createShardstep } from "../sdk/client";
import { adminToken, DevServer } from "../test/e2e/support/server";
import { BENCH_CONFIG } from "../test/support/wrangler";
import { closedLoop, type Load, type Send } from "./closed-loop";
import { profileWorker, type CpuProfileSummary } from "./cpu-profile";
import { phasesOf } from "./push-phases";
import { HttpLoad } from "./http-load";
import { httpPushes } from "./http-push";
import { liveFloorUrl } from "./floor/live-floor-route";
import { livePushes } from "./live-load";
import { fmt } from "./load-table";
import { localObservability } from "./observability";
import { randomGradient } from "./stats";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" }, clients: { type: "string", default: "32" }, path: { type: "string", default: "direct" }, answer: { type: "string", default: "summary" }, length: { type: "string", default: "1024" }, transport: { type: "string", default: "both" }, deflate: { type: "boolean", default: false }, "log-steps": { type: "string" }, "log-bytes": { type: "string" }, save: { type: "string" } } });
if (values.answer !== "summary" && values.answer !== "weights") throw new Error(`--answer is summary or weights, not ${values.answer}`);
const answer = values.answer;
const seconds = Number(values.seconds);
const clients = Number(values.clients);
const length = Number(values.length);

localObservability(false);
const server = await DevServer.start({ config: BENCH_CONFIG, validate: false });
try {
  const token = await adminToken();
  const api = createShardstep({ baseUrl: server.baseUrl, token, retry: false });
  const shard = `profile-live-${Date.now().toString(36)}`;
  // The gradient log's bound (gradient_log.max_steps, max_bytes; max_steps 0 writes the state pages at every step); the default when not given.
  const bound: Record<string, number> = {};
  if (values["log-steps"] !== undefined) bound.max_steps = Number(values["log-steps"]);
  if (values["log-bytes"] !== undefined) bound.max_bytes = Number(values["log-bytes"]);
  const log = Object.keys(bound).length > 0 ? { gradient_log: bound } : {};
  await api.createShard(shard, { length, rule: "adam", hyper: { lr: 1e-3 }, rate_limit: null, ...log });
  const baseUrl = values.path === "proxy" ? server.baseUrl : await server.runtimeBaseUrl();
  if (!baseUrl) throw new Error("cannot find the runtime workerd's entry socket");
  const gradients = Array.from({ length: 64 }, (_, i) => randomGradient(length, 100 + i));
  const runId = Date.now().toString(36);

  const senders: Record<string, () => Promise<{ send: Send; close: () => void }>> = {
    http: async () => {
      const http = new HttpLoad(baseUrl, clients);
      return { send: httpPushes(http, token, [shard], gradients, (c, seq) => `${runId}-http-${c}-${seq}`, answer === "summary"), close: () => http.close() };
    },
    floor: async () => {
      const http = new HttpLoad(baseUrl, clients);
      const bodies = gradients.map((g) => new Uint8Array(g.buffer, g.byteOffset, g.byteLength));
      const path = `/bench/floor/${encodeURIComponent(shard)}`;
      const headers = { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" };
      return { send: (_c: number, seq: number) => http.send({ method: "POST", path, headers, body: bodies[seq % bodies.length] }), close: () => http.close() };
    },
    "socket-floor": () =>
      livePushes(baseUrl, token, shard, clients, gradients, (c, seq) => `${runId}-floor-${c}-${seq}`, answer, { url: liveFloorUrl(baseUrl, shard, answer === "weights" ? "weights" : "minimal"), deflate: values.deflate }),
    socket: () => livePushes(baseUrl, token, shard, clients, gradients, (c, seq) => `${runId}-socket-${c}-${seq}`, answer, { deflate: values.deflate }),
  };
  if (values.transport !== "both" && !(values.transport in senders)) throw new Error(`--transport is both or one of ${Object.keys(senders).join(", ")}, not ${values.transport}`);
  for (const [transport, open] of Object.entries(senders).filter(([t]) => (values.transport === "both" ? t === "http" || t === "socket" : values.transport === t))) {
    const { send, close } = await open();
    let load!: Load;
    let profile: CpuProfileSummary;
    const runtime = server.runtimePid();
    const before = userSystemMs(runtime);
    try {
      profile = await profileWorker(server.inspectorPort, bundleOf(server.dir), async () => {
        load = await closedLoop(send, clients, seconds, { warmupMs: 500, processes: () => server.workerdProcesses() });
      }, undefined, values.save && `${values.save.replace(/\.cpuprofile$/, "")}-${transport}.cpuprofile`);
    } finally {
      close();
    }
    const after = userSystemMs(runtime);
    const pushesProfiled = (load.steps * profile.wallMs) / 1000;
    const procTimes = { user: (after.user - before.user) / pushesProfiled, system: (after.system - before.system) / pushesProfiled };
    // The profile spans the warm-up too: pushes over its whole time, at the measured rate.
    // The sampler counts wall time on the runtime's thread (descheduled time too, on a loaded machine):
    // its shares are kept and scaled to the runtime's CPU per push from /proc.
    const busy = profile.byKind.javascript + profile.byKind.gc + profile.byKind.program;
    const per = (ms: number) => fmt((ms / busy) * load.cpu.runtime * 1000, 1);
    const share = (ms: number) => `${fmt((ms / busy) * 100, 1)}%`;
    console.log(`\n== ${transport}, ${clients} clients, ${values.path}: ${fmt(load.steps, 0)} pushes/s, p50 ${fmt(load.p50, 2)} ms, p99 ${fmt(load.p99, 2)} ms`);
    console.log(`CPU ms per push (/proc): client ${fmt(load.cpu.client, 3)}, proxy ${fmt(load.cpu.proxy, 3)}, runtime ${fmt(load.cpu.runtime, 3)}`);
    console.log(
      `the runtime's thread, sampled over ${fmt(profile.wallMs / 1000, 1)} s (share of its busy samples, and µs per push of its CPU): ` +
        `JavaScript ${share(profile.byKind.javascript)} ${per(profile.byKind.javascript)}, GC ${share(profile.byKind.gc)} ${per(profile.byKind.gc)}, ` +
        `native "(program)" ${share(profile.byKind.program)} ${per(profile.byKind.program)}; idle ${fmt((profile.byKind.idle / (busy + profile.byKind.idle)) * 100, 1)}% of all samples`,
    );
    console.log("by phase of a push (JavaScript self time of the functions each pattern names, then the rest):");
    for (const [phase, ms] of phasesOf(profile)) console.log(`  ${share(ms).padStart(6)} ${per(ms).padStart(7)}  ${phase}`);
    console.log(`the runtime's process from /proc, ms per push: user ${fmt(procTimes.user, 3)}, system (kernel: sockets, fsync) ${fmt(procTimes.system, 3)}`);
    console.log("JavaScript self time by source file (share, µs per push):");
    for (const f of profile.files.slice(0, 20)) console.log(`  ${share(f.ms).padStart(6)} ${per(f.ms).padStart(7)}  ${f.name}`);
    console.log("by function:");
    for (const f of profile.functions.slice(0, 30)) console.log(`  ${share(f.ms).padStart(6)} ${per(f.ms).padStart(7)}  ${f.name}`);
  }
  await api.deleteShard(shard);
} finally {
  await server.dispose();
}

/** wrangler's bundle of the Worker: the newest .wrangler/tmp/dev-<id>/worker.js in the server's directory. */
function bundleOf(dir: string): string | undefined {
  const tmp = join(dir, ".wrangler/tmp");
  const bundles = readdirSync(tmp)
    .filter((d) => d.startsWith("dev-"))
    .map((d) => join(tmp, d, "worker.js"))
    .filter((f) => {
      try {
        return statSync(f).isFile();
      } catch {
        return false;
      }
    });
  return bundles.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

/** User and system CPU time of a process, ms (/proc/<pid>/stat, 10 ms ticks). */
function userSystemMs(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
}
