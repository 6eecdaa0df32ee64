/**
 * A real `wrangler dev` for end-to-end tests and bench/e2e.ts: its own process group, its own
 * port and a temporary persistence directory, a bounded start, a hard crash of its workerd, and a
 * restart on the same state and port.
 *
 *   const server = await DevServer.start();              // waits for GET /health
 *   const api = createShardstep({ baseUrl: server.baseUrl, token: await adminToken() });
 *   await server.kill9Workerd();                          // SIGKILL workerd, then the whole group
 *   await server.restart();                               // same --persist-to, same port
 *   await server.dispose();                               // stop and delete the directory
 *
 * wrangler is spawned `detached` (a new process group led by it); its node child and the workerd
 * processes under it stay in that group. Stopping signals the group (`process.kill(-pid, ...)`),
 * never processes by name. Every started server is also killed on process exit and on
 * SIGINT/SIGTERM/SIGHUP, so an interrupted run leaves nothing behind.
 *
 * wrangler runs on a copy of wrangler.toml (or of the configuration `config` names, e.g. the bench
 * Worker's bench/floor/wrangler.toml) in the server's temporary directory (`main` made absolute),
 * so its bundles and state stay there and a .dev.vars of the project plays no part. The
 * Worker gets AUTH_SECRET = LOCAL_DEV_SECRET through `--var`, so tokens minted with `adminToken()`
 * are valid; the base URL is 127.0.0.1, which the development secret requires.
 *
 * Unless `validate: false` (bench/e2e.ts, which measures the bare server), clients reach wrangler
 * through a validating proxy on `port` (contract-proxy.ts, in a process of its own): every answer of the API is checked against
 * openapi.yaml and counted for the test file (test/support/contract). wrangler itself listens on
 * `wranglerPort`. The default is on under vitest and off elsewhere (bench and chaos scripts).
 *
 * Note: `wrangler dev` watches the sources and reloads the Worker when a file under src/ changes;
 * edits while a test runs restart the runtime like a crash would.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOCAL_DEV_SECRET } from "../../../src/edge/auth/dev";
import { signToken, type Scope } from "../../../src/edge/auth/token";
import { ledger } from "../../support/contract/ledger";
import { copyConfig, PRODUCTION_CONFIG, root, wranglerCommand } from "../../support/wrangler";
import { ContractProxyProcess } from "./contract-proxy-process";

export const AUTH_SECRET = LOCAL_DEV_SECRET;

/** A token signed with the server's secret: admin on every name unless told otherwise. */
export function mintToken(scopes: Scope[] = ["admin"], prefix = ""): Promise<string> {
  return signToken(AUTH_SECRET, { sub: "e2e", scopes, prefix, iat: Math.floor(Date.now() / 1000) });
}

export const adminToken = () => mintToken(["admin"]);

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** A free port that is none of `taken` (a port just released may be handed out again before its owner binds it). */
async function freePortOtherThan(...taken: number[]): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!taken.includes(port)) return port;
  }
}

/** One attempt's bound: two attempts and the cleanup between them stay within the e2e tests' hook timeout (180 s, vitest.config.ts). */
const START_TIMEOUT_MS = 60_000;
/** A start still unfinished after this fails with what it was doing, before the hook's timeout says only that it timed out. */
const START_WATCHDOG_MS = 165_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long one GET /health may take, its body included. */
const HEALTH_POLL_MS = 2_000;

/**
 * One GET /health: its status and JSON body, or the reason there is none. Bounded by a timer of its
 * own besides the request's signal: one start's polls stalled for minutes once in CI (21 polls in
 * 165 s, each bounded by its signal alone), and a poll that never settles holds the start past its
 * deadline and its retry.
 */
async function askHealth(url: string): Promise<{ status: number; body: { status?: string; service?: string } | null }> {
  const ask = async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(HEALTH_POLL_MS) });
    return { status: res.status, body: (await res.json().catch(() => null)) as { status?: string; service?: string } | null };
  };
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_POLL_MS + 500} ms`)), HEALTH_POLL_MS + 500)));
  try {
    return await Promise.race([ask(), late]);
  } finally {
    clearTimeout(timer);
  }
}

interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
}

/** Every process on the machine, from /proc/<pid>/stat. */
function processes(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.push({ pid: Number(entry), state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/** Live (non-zombie) descendants of `pid`. */
export function descendants(pid: number): number[] {
  const all = processes().filter((p) => p.state !== "Z");
  const children = new Map<number, number[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const found: number[] = [];
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length) {
    const next = queue.shift()!;
    found.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return found;
}

/** Live (non-zombie) members of process group `pgid`. */
function groupMembers(pgid: number): number[] {
  return processes()
    .filter((p) => p.pgid === pgid && p.state !== "Z")
    .map((p) => p.pid);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}

/** TCP ports (IPv4) that process `pid` listens on: its socket inodes (/proc/<pid>/fd) in /proc/<pid>/net/tcp. */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        if (inode) inodes.add(inode);
      } catch {
        // closed meanwhile
      }
    }
    const ports: number[] = [];
    for (const line of readFileSync(`/proc/${pid}/net/tcp`, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st ... inode: st 0A is LISTEN.
      if (f.length > 9 && f[3] === "0A" && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(":")[1]!, 16));
    }
    return ports;
  } catch {
    return [];
  }
}

/** CPU time (user + system) a process has used, in ms (/proc/<pid>/stat, clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** Peak and current resident memory of a process, in bytes (VmHWM, VmRSS of /proc/<pid>/status). */
export function memoryOf(pid: number): { peak: number; current: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
    return { peak: kb("VmHWM"), current: kb("VmRSS") };
  } catch {
    return undefined;
  }
}

// Every server still running, killed when this process goes away however it goes, and every
// temporary directory not yet deleted, deleted then.
const live = new Set<DevServer>();
const ownedDirs = new Set<string>();
let handlersInstalled = false;

function killAllNow(): void {
  for (const server of live) server.killGroupNow();
  for (const dir of ownedDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort on the way out
    }
  }
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", killAllNow);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      killAllNow();
      process.kill(process.pid, signal); // the default action, now that our handler is gone
    });
  }
}

export interface DevServerOptions {
  /** The Worker's wrangler configuration, relative to the project's root (default wrangler.toml; BENCH_CONFIG for the bench Worker). */
  config?: string;
  /** Worker vars besides AUTH_SECRET. */
  vars?: Record<string, string>;
  /** Port to listen on (default: a free one). */
  port?: number;
  /** Directory for --persist-to (default: a new temporary one, deleted by dispose()). */
  persistTo?: string;
  /** How long one attempt to start may take before it fails (default 60 s); a failed first start is tried once more. */
  startTimeoutMs?: number;
  /** Validate every answer against openapi.yaml through a proxy on `port` (default: on under vitest). */
  validate?: boolean;
}

export class DevServer {
  /** Where clients connect: the validating proxy's port, or wrangler's when not validating. */
  readonly port: number;
  /** The port wrangler dev listens on. */
  readonly wranglerPort: number;
  readonly baseUrl: string;
  /** Holds the persisted state (persist/), wrangler's config copy and bundles (.wrangler/), its output (wrangler-<n>.log). */
  readonly dir: string;
  readonly persistTo: string;
  /** wrangler's devtools (Chrome DevTools Protocol) port of the current start. */
  inspectorPort = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private starts = 0;
  private ownsDir: boolean;
  private proxy: ContractProxyProcess | undefined;
  /** What a start is doing now, for the error of one that stalls. */
  private phase = "not started";
  /** Set by dispose(): a start still under way then (one the watchdog gave up on) spawns nothing more. */
  private disposed = false;

  private constructor(
    port: number,
    wranglerPort: number,
    dir: string,
    persistTo: string,
    ownsDir: boolean,
    private readonly options: DevServerOptions,
  ) {
    this.port = port;
    this.wranglerPort = wranglerPort;
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.dir = dir;
    this.persistTo = persistTo;
    this.ownsDir = ownsDir;
  }

  static async start(options: DevServerOptions = {}): Promise<DevServer> {
    installExitHandlers();
    const dir = mkdtempSync(join(tmpdir(), "shardstep-e2e-"));
    ownedDirs.add(dir);
    const persistTo = options.persistTo ?? join(dir, "persist");
    const port = options.port ?? (await freePort());
    const validate = options.validate ?? process.env.VITEST !== undefined;
    const server = new DevServer(port, validate ? await freePortOtherThan(port) : port, dir, persistTo, true, options);
    let watchdog: NodeJS.Timeout | undefined;
    try {
      // Both start at once: on a loaded machine each takes seconds.
      const proxy = validate ? ContractProxyProcess.start(port, server.wranglerPort, (result, answer) => ledger.record(result, answer)) : undefined;
      const started = Promise.allSettled([proxy, server.launchWithRetry()]);
      const stalled = new Promise<never>((_, reject) => {
        watchdog = setTimeout(() => {
          server.killGroupNow();
          reject(new Error(`wrangler dev did not start within ${START_WATCHDOG_MS} ms; it was ${server.phase}\n--- ${server.logFile}\n${server.logTail()}`));
        }, START_WATCHDOG_MS);
      });
      const [proxied, launched] = await Promise.race([started, stalled]);
      if (proxied.status === "fulfilled") server.proxy = proxied.value;
      for (const s of [proxied, launched]) if (s.status === "rejected") throw s.reason;
    } catch (e) {
      await server.dispose();
      throw e;
    } finally {
      clearTimeout(watchdog);
    }
    return server;
  }

  /** wrangler's pid, which is also its process group's id; undefined when stopped. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get logFile(): string {
    return join(this.dir, `wrangler-${this.starts}.log`);
  }

  /** The last lines wrangler printed (for failure messages). */
  logTail(lines = 40): string {
    try {
      return readFileSync(this.logFile, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** The workerd processes of this server (the runtime and wrangler's proxy). */
  workerdPids(): number[] {
    const pid = this.pid;
    if (pid === undefined) return [];
    return descendants(pid).filter((p) => /(^|\/)workerd$/.test(cmdline(p).split(" ")[0] ?? ""));
  }

  /**
   * The workerd processes with their role: "proxy" is wrangler's dev proxy, listening on `wranglerPort`;
   * "runtime" runs the Worker and its Durable Objects.
   */
  workerdProcesses(): { pid: number; role: "proxy" | "runtime" }[] {
    return this.workerdPids().map((pid) => ({ pid, role: listeningPorts(pid).includes(this.wranglerPort) ? "proxy" : "runtime" }));
  }

  /** The runtime workerd's process id (it changes when wrangler reloads the Worker); throws while there is none. */
  runtimePid(): number {
    const runtime = this.workerdProcesses().find((p) => p.role === "runtime");
    if (!runtime) throw new Error("no runtime workerd process");
    return runtime.pid;
  }

  /**
   * The runtime workerd's own entry socket, behind wrangler's dev proxy (which forwards to it):
   * the one of its listening ports that answers GET /health. It changes when wrangler reloads the
   * Worker. For measurements without the proxy's hop; production has no such proxy. (Asking the
   * runtime's Cap'n Proto ports makes it log a harmless "RPC connection broken" warning.)
   */
  async runtimeBaseUrl(): Promise<string | undefined> {
    for (const { pid, role } of this.workerdProcesses()) {
      if (role !== "runtime") continue;
      for (const port of listeningPorts(pid)) {
        try {
          const { status, body } = await askHealth(`http://127.0.0.1:${port}/health`);
          if (status === 200 && body?.service === "shardstep") return `http://127.0.0.1:${port}`;
        } catch {
          // not the entry socket
        }
      }
    }
    return undefined;
  }

  /**
   * A start that failed (a port taken meanwhile by another process, a runtime that did not come up
   * on a loaded machine) is tried once more before the error, which then names both causes.
   */
  private async launchWithRetry(): Promise<void> {
    try {
      await this.launch();
    } catch (first) {
      try {
        await this.launch();
      } catch (second) {
        throw new Error(`${(second as Error).message}\n--- the first attempt failed too: ${(first as Error).message}`);
      }
    }
  }

  private async launch(): Promise<void> {
    this.starts += 1;
    this.phase = `choosing ports (start ${this.starts})`;
    const vars = { AUTH_SECRET, ...this.options.vars };
    // Not the proxy's port, which its process may not have bound yet.
    const inspectorPort = (this.inspectorPort = await freePortOtherThan(this.port, this.wranglerPort));
    const { command, args, env } = wranglerCommand([
      "dev",
      // A copy in this server's directory: wrangler keeps its bundles (.wrangler/tmp) and looks for
      // .dev.vars next to its config, so they live and die with the directory (a SIGKILLed wrangler
      // cannot clean up after itself) and a developer's .dev.vars plays no part.
      "--config", copyConfig(this.options.config ?? PRODUCTION_CONFIG, this.dir),
      "--tsconfig", join(root, "tsconfig.json"),
      "--ip", "127.0.0.1",
      "--port", String(this.wranglerPort),
      "--inspector-port", String(inspectorPort),
      "--persist-to", this.persistTo,
      "--show-interactive-dev-session=false",
      "--log-level", "warn",
      ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ], { WRANGLER_LOG_PATH: join(this.dir, "wrangler-logs") });
    if (this.disposed) throw new Error("the server was disposed while it started");
    const log = openSync(this.logFile, "a");
    let child: ChildProcess;
    try {
      child = spawn(command, args, { cwd: root, detached: true, stdio: ["ignore", log, log], env });
    } finally {
      closeSync(log);
    }
    this.child = child;
    live.add(this);
    let exitedEarly: string | undefined;
    this.exited = new Promise<void>((resolve) => {
      child.once("exit", (code, signal) => {
        exitedEarly = `wrangler exited (${signal ?? `code ${code}`})`;
        resolve();
      });
      child.once("error", (err) => {
        exitedEarly = `wrangler could not start: ${err.message}`;
        resolve();
      });
    });
    const deadline = Date.now() + (this.options.startTimeoutMs ?? START_TIMEOUT_MS);
    let polls = 0;
    let lastAnswer = "none";
    while (Date.now() < deadline) {
      if (exitedEarly) break;
      this.phase = `asking ${this.baseUrl}/health (start ${this.starts}, wrangler pid ${child.pid}, ${++polls} polls, last answer: ${lastAnswer})`;
      try {
        const { status, body } = await askHealth(`${this.baseUrl}/health`);
        if (status === 200 && body?.status === "ok") {
          this.phase = `running (start ${this.starts})`;
          return;
        }
        lastAnswer = String(status);
      } catch (e) {
        lastAnswer = (e as Error).message; // not listening yet
      }
      await sleep(150);
    }
    const why = exitedEarly ?? `no answer from ${this.baseUrl}/health within ${this.options.startTimeoutMs ?? START_TIMEOUT_MS} ms`;
    this.phase = `stopping a failed start (${why})`;
    await this.stop();
    throw new Error(`wrangler dev did not start: ${why}\n--- ${this.logFile}\n${this.logTail()}`);
  }

  /** SIGKILLs the whole group at once, synchronously (exit handlers). */
  killGroupNow(): void {
    this.proxy?.killNow();
    const pid = this.pid;
    if (pid !== undefined) signalGroup(pid, "SIGKILL");
  }

  /** Waits until no process of the group is left (bounded), SIGKILLing it when `graceMs` is over. */
  private async waitGone(graceMs: number): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    const deadline = Date.now() + graceMs;
    while (groupMembers(pid).length > 0 && Date.now() < deadline) await sleep(50);
    if (groupMembers(pid).length > 0) {
      signalGroup(pid, "SIGKILL");
      const hard = Date.now() + 10_000;
      while (groupMembers(pid).length > 0 && Date.now() < hard) await sleep(50);
      if (groupMembers(pid).length > 0) throw new Error(`process group ${pid} survived SIGKILL: ${groupMembers(pid).join(", ")}`);
    }
    await Promise.race([this.exited, sleep(2_000)]);
    live.delete(this);
    this.child = undefined;
  }

  /** Stops wrangler and everything under it: SIGTERM to the group, SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    signalGroup(pid, "SIGTERM");
    await this.waitGone(graceMs);
  }

  /**
   * A crash: SIGKILLs the workerd processes of this server (found under wrangler's pid in /proc),
   * then the rest of the group, and waits until all are gone. Answers the workerd pids killed.
   */
  async kill9Workerd(): Promise<number[]> {
    const pid = this.pid;
    if (pid === undefined) throw new Error("the server is not running");
    const workerd = this.workerdPids();
    if (workerd.length === 0) throw new Error(`no workerd process under wrangler (pid ${pid})`);
    for (const p of workerd) {
      try {
        process.kill(p, "SIGKILL");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
      }
    }
    signalGroup(pid, "SIGKILL");
    await this.waitGone(0);
    return workerd;
  }

  /** Starts wrangler again on the same port and persistence directory (stopping it first if running). */
  async restart(): Promise<void> {
    await this.stop();
    await this.launchWithRetry();
  }

  /** Stops the server and deletes its temporary directory (with the persisted state). */
  async dispose(): Promise<void> {
    this.disposed = true;
    try {
      await this.stop();
      await this.proxy?.close();
    } finally {
      if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
      ownedDirs.delete(this.dir);
      this.ownsDir = false;
    }
  }
}
