/**
 * Starts the peer of bench:e2e (f), bench/peer/param_server.py, with Debian's python3 and torch
 * (`ATEN_CPU_CAPABILITY=default /usr/bin/python3`), on a free port and a new SQLite file in a
 * temporary directory; in a process group of its own, stopped by signalling the group.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const script = join(dirname(fileURLToPath(import.meta.url)), "param_server.py");

export class Peer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly baseUrl: string,
    private readonly running: () => boolean,
  ) {}

  static async start(options: { shard: string; length: number; lr: number; token: string; timeoutMs?: number }): Promise<Peer> {
    const dir = mkdtempSync(join(tmpdir(), "shardstep-peer-"));
    const args = [script, "--db", join(dir, "peer.sqlite"), "--shard", options.shard, "--length", String(options.length), "--lr", String(options.lr), "--token", options.token];
    const child = spawn("/usr/bin/python3", args, { detached: true, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ATEN_CPU_CAPABILITY: "default" } });
    const running = () => child.exitCode === null && child.signalCode === null;
    const kill = () => child.pid !== undefined && running() && process.kill(-child.pid, "SIGKILL");
    process.once("exit", kill);
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the peer did not start within its timeout")), options.timeoutMs ?? 120_000);
      child.once("exit", (code) => reject(new Error(`the peer exited (code ${code}) before listening`)));
      createInterface({ input: child.stdout! }).once("line", (line) => {
        clearTimeout(timer);
        const port = /^listening (\d+)$/.exec(line)?.[1];
        if (port) resolve(Number(port));
        else reject(new Error(`the peer said ${JSON.stringify(line)}`));
      });
    }).catch((e) => {
      kill();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    });
    return new Peer(child, dir, `http://127.0.0.1:${port}`, running);
  }

  get pid(): number {
    return this.child.pid!;
  }

  async stop(): Promise<void> {
    if (this.running()) {
      const exited = new Promise((r) => this.child.once("exit", r));
      process.kill(-this.child.pid!, "SIGTERM");
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
