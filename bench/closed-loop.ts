/**
 * The closed loop of bench:e2e's load rows: `clients` loops, each sending its next request as soon
 * as its previous one is answered, measured for `seconds` after a warm-up: requests per second, the
 * latency of each (p50, p99), and the CPU time per request of each process (this client, and the
 * server's processes by role, from /proc). What a request is (HTTP, a socket frame) is the caller's.
 */
import { cpuMs } from "../test/e2e/support/server";
import { traceFsyncs } from "./fsyncs";
import { percentile, sleep } from "./stats";

/** One request of client `c`; `seq` numbers the requests of the whole run. */
export type Send = (c: number, seq: number) => Promise<unknown>;

/** A server process whose CPU time is counted, by role. */
export interface ServerProcess {
  pid: number;
  role: "proxy" | "runtime";
}

export interface Load {
  steps: number;
  p50: number;
  p99: number;
  /** Failed requests (retried after 10 ms; not counted as steps). */
  errors: number;
  /** CPU ms per step: this client, wrangler's proxy workerd, the runtime (workerd, or the peer). */
  cpu: { client: number; proxy: number; runtime: number };
  /** The runtime process changed under the row (wrangler reloaded the Worker: a source file changed). */
  reloaded: boolean;
  /** With `fsyncs`: the runtime's fsyncs per step and ms spent in them per step (bench/fsyncs.ts); undefined when perf cannot run. */
  fsyncs?: { perStep: number; msPerStep: number; threads: number; main: boolean };
}

export interface LoadOptions {
  warmupMs: number;
  processes: () => ServerProcess[];
  /** Also trace the runtime's fsyncs over the measured window (Linux perf). */
  fsyncs?: boolean;
}

/** Closed-loop clients sending for `seconds` after a warm-up. */
export async function closedLoop(send: Send, clients: number, seconds: number, options: LoadOptions): Promise<Load> {
  const latencies: number[] = [];
  let errors = 0;
  let measuring = false;
  let stop = false;
  let seq = 0;
  const one = async (c: number) => {
    while (!stop) {
      const t0 = performance.now();
      try {
        await send(c, seq++);
      } catch (e) {
        if (measuring) errors += 1;
        if (errors > 1000) throw e;
        await sleep(10);
        continue;
      }
      if (measuring && !stop) latencies.push(performance.now() - t0);
    }
  };
  const workers = Array.from({ length: clients }, (_, c) => one(c));
  await sleep(options.warmupMs);
  const procs = options.processes();
  const runtimePid = () => options.processes().find((p) => p.role === "runtime")?.pid;
  const cpuOf = (role: string) => procs.filter((p) => p.role === role).reduce((sum, p) => sum + cpuMs(p.pid), 0);
  const before = { client: process.cpuUsage(), proxy: cpuOf("proxy"), runtime: cpuOf("runtime"), pid: runtimePid() };
  measuring = true;
  const t0 = performance.now();
  const fsyncs = options.fsyncs && before.pid !== undefined ? traceFsyncs(before.pid, seconds) : undefined;
  await sleep(seconds * 1000);
  stop = true;
  const elapsed = (performance.now() - t0) / 1000;
  const clientCpu = process.cpuUsage(before.client);
  const steps = latencies.length;
  const cpu = {
    client: (clientCpu.user + clientCpu.system) / 1000 / steps,
    proxy: (cpuOf("proxy") - before.proxy) / steps,
    runtime: (cpuOf("runtime") - before.runtime) / steps,
  };
  await Promise.all(workers);
  const traced = await fsyncs;
  return {
    steps: steps / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    cpu,
    reloaded: runtimePid() !== before.pid,
    ...(traced && { fsyncs: { perStep: traced.calls / steps, msPerStep: traced.ms / steps, threads: traced.threads, main: traced.main } }),
  };
}
