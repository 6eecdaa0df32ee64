/**
 * Worker processes: `runWorkers` forks worker.ts `count` times (node with tsx, each its own
 * process), passes each its settings and its images, forwards every trial that ends to `onTrial`,
 * and answers their summaries once every one has exited. If one fails, the others are stopped (SIGTERM to the
 * processes it started, by their pids) and the run fails.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TrialOutcome, WorkSummary } from "../../sdk/client";
import type { TrainSettings, WorkerData } from "./train";

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface WorkerSettings extends TrainSettings {
  url: string;
  token: string;
  sweep: string;
  /** The worker's name, shown in the trials table. */
  worker: string;
}

/** What a worker tells its parent. */
export type WorkerMessage =
  | { type: "ready"; worker: string }
  | { type: "trial"; worker: string; outcome: TrialOutcome }
  | { type: "done"; worker: string; summary: Omit<WorkSummary, "outcomes"> };

/** What the parent sends a worker: its images (structured clone: the typed arrays travel as bytes). */
export type ParentMessage = { type: "data"; data: WorkerData };

export const SETTINGS_VARIABLE = "SWEEP_MNIST_WORKER";

export type WorkerSummary = Omit<WorkSummary, "outcomes"> & { worker: string };

export interface WorkersOptions {
  /** Called as each trial ends, with the worker that ran it. */
  onTrial?: (outcome: TrialOutcome, worker: string) => void;
  /** Called once every worker has loaded its data and started asking for trials. */
  onReady?: () => void;
}

export function runWorkers(count: number, settings: Omit<WorkerSettings, "worker">, data: WorkerData, options: WorkersOptions = {}): Promise<WorkerSummary[]> {
  const children: ChildProcess[] = [];
  const summaries: WorkerSummary[] = [];
  let ready = 0;
  return new Promise<WorkerSummary[]>((resolve, reject) => {
    let exited = 0;
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      reject(error);
    };
    for (let i = 1; i <= count; i++) {
      const worker = `w${i}`;
      const child = fork(WORKER, [], {
        cwd: ROOT,
        execArgv: ["--import", "tsx"],
        env: { ...process.env, [SETTINGS_VARIABLE]: JSON.stringify({ ...settings, worker } satisfies WorkerSettings) },
        stdio: ["ignore", "inherit", "inherit", "ipc"],
        serialization: "advanced",
      });
      children.push(child);
      child.send({ type: "data", data: { train: data.train, validation: data.validation } } satisfies ParentMessage);
      child.on("message", (message: WorkerMessage) => {
        if (message.type === "ready" && ++ready === count) options.onReady?.();
        else if (message.type === "trial") options.onTrial?.(message.outcome, message.worker);
        else if (message.type === "done") summaries.push({ worker: message.worker, ...message.summary });
      });
      child.once("error", (error) => fail(new Error(`worker ${worker} could not start: ${error.message}`)));
      // "close": the process has exited and its channels are drained (every message read).
      child.once("close", (code, signal) => {
        if (code !== 0 || !summaries.some((s) => s.worker === worker)) fail(new Error(`worker ${worker} exited with ${signal ?? `code ${code}`} before the sweep was done`));
        else if (++exited === count && !failed) resolve(summaries.sort((a, b) => a.worker.localeCompare(b.worker, "en", { numeric: true })));
      });
    }
  });
}
