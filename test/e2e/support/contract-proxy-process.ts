import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ContractResult } from "../../support/contract/validator";

const MAIN = fileURLToPath(new URL("./contract-proxy-main.ts", import.meta.url));

/** A loaded machine starts it in seconds; this bounds a proxy that never comes up. */
const READY_TIMEOUT_MS = 60_000;

type Message = { ready: true } | { result: ContractResult; answer: boolean };

/** The validating proxy (contract-proxy.ts) in a child process, its results handed to `record` here. */
export class ContractProxyProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
  ) {}

  static async start(port: number, upstreamPort: number, record: (result: ContractResult, answer: boolean) => void): Promise<ContractProxyProcess> {
    const child = fork(MAIN, [String(port), String(upstreamPort)], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    await new Promise<void>((resolve, reject) => {
      // Cleared once the proxy listens: it bounds the start only, never a proxy that is serving.
      const bound = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`the contract proxy did not listen on ${port} within ${READY_TIMEOUT_MS} ms`));
      }, READY_TIMEOUT_MS).unref();
      child.on("message", (message: Message) => {
        if ("ready" in message) {
          clearTimeout(bound);
          return resolve();
        }
        try {
          record(message.result, message.answer);
        } catch {
          // Thrown in throw mode, and kept in the ledger: the test file fails when it ends.
        }
      });
      void exited.then(() => reject(new Error("the contract proxy exited before it listened")));
    });
    return new ContractProxyProcess(child, exited);
  }

  /** Stops the proxy once every result has reached `record`. */
  async close(): Promise<void> {
    if (this.child.connected) this.child.send("close");
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }

  /** On the way out of the process: no waiting. */
  killNow(): void {
    this.child.kill("SIGKILL");
  }
}
