/**
 * The runtime's fsyncs over a row: `perf trace -s` (Debian's linux-perf) on the process, its filter
 * set to fsync and fdatasync in the kernel, so that other system calls pay nothing for it. workerd
 * fsyncs an object's write-ahead log at every commit (`synchronous` FULL, docs/cost.md) on the
 * thread that runs every object, so this is time that thread spends blocked and no other push runs.
 */
import { spawn } from "node:child_process";

export interface Fsyncs {
  /** fsync and fdatasync calls over the window, and the time spent in them (ms), all threads. */
  calls: number;
  ms: number;
  /** Threads that made them; `main`: only the process's first thread (its id the process's), where workerd runs its event loop. */
  threads: number;
  main: boolean;
}

/** Traces `pid`'s fsyncs for `seconds`; resolves once the trace ends, or undefined when perf cannot run here. */
export function traceFsyncs(pid: number, seconds: number): Promise<Fsyncs | undefined> {
  const perf = spawn("perf", ["trace", "-s", "-e", "fsync,fdatasync", "-p", String(pid), "--", "sleep", String(seconds)], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  perf.stdout.on("data", (d: Buffer) => (out += d.toString()));
  perf.stderr.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => {
    perf.on("error", () => resolve(undefined));
    perf.on("exit", (code) => {
      if (code !== 0) return resolve(undefined);
      let calls = 0;
      let ms = 0;
      const tids: number[] = [];
      // Each thread's summary opens with "<name> (<tid>), <n> events"; then a line per call:
      // "   fsync   347   0   316.327   0.057   0.912   7.400   6.59%" (calls, errors, total ms, ...).
      const parts = out.split(/^\s*\S+ \((\d+)\), \d+ events.*$/m);
      for (let i = 1; i + 1 < parts.length; i += 2) {
        let any = false;
        for (const m of parts[i + 1]!.matchAll(/^\s*(?:fsync|fdatasync)\s+(\d+)\s+\d+\s+([\d.]+)/gm)) {
          calls += Number(m[1]);
          ms += Number(m[2]);
          any = true;
        }
        if (any) tids.push(Number(parts[i]));
      }
      resolve({ calls, ms, threads: tids.length, main: tids.length === 1 && tids[0] === pid });
    });
  });
}
