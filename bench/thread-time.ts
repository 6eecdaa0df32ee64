/**
 * Where one thread's time went over a window: on a CPU, and runnable but waiting for one, from
 * the kernel's scheduler statistics (/proc/<pid>/task/<tid>/schedstat: nanoseconds on a CPU,
 * nanoseconds waiting on a run queue, time slices). The runtime workerd runs every object and every
 * socket on its first thread, so what that thread is not doing over a row it could not have done
 * (bench:soak's `--thread`).
 */
import { readFileSync } from "node:fs";

export interface ThreadTime {
  /** Shares of the window's wall time, 0–1. */
  onCpu: number;
  waiting: number;
  /** Times the thread was put on a CPU, per second. */
  slicesPerSecond: number;
}

/** The counters of process `pid`'s first thread now (that thread's id is the process's). */
function schedstat(pid: number): { at: number; run: number; wait: number; slices: number } {
  const [run, wait, slices] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").trim().split(/\s+/).map(Number);
  return { at: performance.now(), run: run!, wait: wait!, slices: slices! };
}

/** Starts a window on process `pid`'s first thread; the function it returns closes it. */
export function threadWindow(pid: number): () => ThreadTime {
  const start = schedstat(pid);
  return () => {
    const end = schedstat(pid);
    const ns = (end.at - start.at) * 1e6;
    return { onCpu: (end.run - start.run) / ns, waiting: (end.wait - start.wait) / ns, slicesPerSecond: ((end.slices - start.slices) * 1e9) / ns };
  };
}
