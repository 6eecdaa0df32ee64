/**
 * One worker process (forked by workers.ts): takes its images from its parent (over IPC, which
 * spares every worker the package's slow load), then runs `api.sweeps.work` with the MNIST trainer
 * until the sweep is done, telling its parent about every trial that ends. Its settings come in
 * the environment (SWEEP_MNIST_WORKER, JSON: the token stays out of `ps`).
 */
import { createShardstep } from "../../sdk/client";
import { mnistTrainer, type WorkerData } from "./train";
import { SETTINGS_VARIABLE, type ParentMessage, type WorkerMessage, type WorkerSettings } from "./workers";

/** Sends a message to the parent; resolves once it is written. */
function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => process.send?.(message, undefined, {}, () => resolve()) ?? resolve());
}

const settings = JSON.parse(process.env[SETTINGS_VARIABLE] ?? "null") as WorkerSettings | null;
if (settings === null || !process.send) {
  console.error(`worker.ts is started by examples/sweep-mnist/workers.ts (it reads ${SETTINGS_VARIABLE} and talks over IPC)`);
  process.exit(2);
}
const stop = new AbortController();
process.once("SIGTERM", () => stop.abort(new Error("SIGTERM")));
process.once("disconnect", () => stop.abort(new Error("the parent went away")));

const api = createShardstep({ baseUrl: settings.url, token: settings.token });
const data = await new Promise<WorkerData>((resolve) => process.once("message", (message: ParentMessage) => resolve(message.data)));
await send({ type: "ready", worker: settings.worker });
try {
  const { outcomes: _, ...summary } = await api.sweeps.work(settings.sweep, mnistTrainer(api, data, settings, settings.worker), {
    worker: settings.worker,
    signal: stop.signal,
    onTrialEnd: (outcome) => void send({ type: "trial", worker: settings.worker, outcome }),
  });
  await send({ type: "done", worker: settings.worker, summary });
  process.disconnect();
} catch (error) {
  if (!stop.signal.aborted) {
    console.error(`worker ${settings.worker}: ${(error as Error)?.stack ?? error}`);
    process.exitCode = 1;
  }
  process.disconnect?.();
}
