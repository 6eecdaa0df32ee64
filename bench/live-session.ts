/**
 * One live session of the benchmarks: a WebSocket to `GET /v1/shards/{shard}/live` (with the
 * bearer header at the upgrade), speaking the frames of
 * src/formats/live-frames.ts. Pushes are matched to their answers by Idempotency-Key; version
 * notices go to `onNotice` with the time they were read. Deliberately lean: it shares the machine's
 * cores with the server under test, so it parses nothing it does not need.
 *
 * It offers no permessage-deflate (the `ws` package, `perMessageDeflate: false`) unless asked to:
 * the Worker refuses compression (wrangler.toml's `no_web_socket_compression`), but locally the
 * runtime's entry socket is miniflare's own entry Worker, which negotiates it with whatever client
 * offers it (Node's global WebSocket and browsers always do) before our Worker sees the upgrade.
 * Without an offer the local sessions do what production's do. `deflate: true` opens them with
 * Node's global WebSocket, offering it, to measure what the local entry's compression costs.
 */
import NodeWebSocket from "ws";
import {
  decodeFrame,
  encodeFrame,
  type AnswerHeader,
  type NoticeHeader,
  type ProblemHeader,
  type PushHeader,
  type SubscribeHeader,
  type WelcomeHeader,
} from "../src/formats/live-frames";

/** Larger than any frame the benchmarks receive (a 1K shard's weights). */
const MAX_RECEIVED_BYTES = 16 * 1024 * 1024;

export interface SessionOptions {
  /** Offer permessage-deflate (Node's global WebSocket) rather than not (the `ws` package). */
  readonly deflate?: boolean;
}

export class LiveProblem extends Error {
  override readonly name = "LiveProblem";
  constructor(readonly problem: ProblemHeader["problem"]) {
    super(`${problem.status} ${problem.type}: ${problem.detail}`);
  }
}

interface Waiting {
  resolve: (answer: AnswerHeader) => void;
  reject: (e: Error) => void;
}

/** The live URL of a shard on a server (http → ws). */
export function liveUrl(baseUrl: string, shard: string): string {
  return `${baseUrl.replace(/^http/, "ws")}/v1/shards/${encodeURIComponent(shard)}/live`;
}

export class LiveSession {
  /** Called with each notice and the time (performance.now()) it was read. */
  onNotice: (notice: NoticeHeader, at: number) => void = () => undefined;
  private readonly waiting = new Map<string, Waiting>();
  private closed: Error | undefined;

  private constructor(
    private readonly ws: WebSocket,
    readonly welcome: WelcomeHeader,
  ) {
    ws.onmessage = (event) => this.received(event.data as ArrayBuffer | Uint8Array | string);
    ws.onclose = (event) => this.fail(new Error(`the live socket closed: ${event.code} ${event.reason}`));
    ws.onerror = () => this.fail(new Error("the live socket failed"));
  }

  /** Opens a session and waits for the shard's welcome. */
  static open(url: string, token: string, options: SessionOptions = {}, timeoutMs = 30_000): Promise<LiveSession> {
    return new Promise((resolve, reject) => {
      const headers = { authorization: `Bearer ${token}` };
      // undici's WebSocket (Node's global) takes headers in its init; the DOM's type does not know it.
      const ws = options.deflate
        ? new WebSocket(url, { headers } as unknown as string[])
        : (new NodeWebSocket(url, { headers, perMessageDeflate: false }) as unknown as WebSocket);
      // The `ws` package hands a binary message over as the Buffer it was read into (a view of the
      // socket's read, no copy); "arraybuffer" would copy every answer into an ArrayBuffer of its own,
      // garbage that soon has the bench's process spend more time collecting than pushing.
      ws.binaryType = options.deflate ? "arraybuffer" : ("nodebuffer" as BinaryType);
      const timer = setTimeout(() => {
        ws.close();
        reject(new Error(`no welcome from ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      const failed = (why: string) => {
        clearTimeout(timer);
        reject(new Error(`${url}: ${why}`));
      };
      ws.onerror = () => failed("the upgrade failed (refused, or not a WebSocket route)");
      ws.onclose = (event) => failed(`closed before its welcome: ${event.code} ${event.reason}`);
      ws.onmessage = (event) => {
        clearTimeout(timer);
        try {
          const frame = decodeFrame(event.data as ArrayBuffer | Uint8Array, MAX_RECEIVED_BYTES);
          if (frame.kind === "problem") throw new LiveProblem((frame.header as unknown as ProblemHeader).problem);
          if (frame.kind !== "welcome") throw new Error(`the first frame is a ${frame.kind}, not a welcome`);
          resolve(new LiveSession(ws, frame.header as unknown as WelcomeHeader));
        } catch (e) {
          ws.close();
          reject(e);
        }
      };
    });
  }

  /** Pushes a gradient and waits for its answer (a problem rejects). */
  push(header: PushHeader, gradient: Float32Array): Promise<AnswerHeader> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      this.waiting.set(header.key, { resolve, reject });
      this.ws.send(encodeFrame("push", header, gradient));
    });
  }

  subscribe(header: SubscribeHeader): void {
    this.ws.send(encodeFrame("subscribe", header));
  }

  close(): void {
    this.closed ??= new Error("closed by the client");
    this.ws.onclose = null;
    this.ws.close();
  }

  private received(data: ArrayBuffer | Uint8Array | string): void {
    if (typeof data === "string") return; // the text ping's pong
    const at = performance.now();
    const frame = decodeFrame(data, MAX_RECEIVED_BYTES);
    if (frame.kind === "notice") return this.onNotice(frame.header as unknown as NoticeHeader, at);
    if (frame.kind === "answer") {
      const answer = frame.header as unknown as AnswerHeader;
      const waiting = this.waiting.get(answer.key);
      this.waiting.delete(answer.key);
      return waiting?.resolve(answer);
    }
    if (frame.kind === "problem") {
      const { key, problem } = frame.header as unknown as ProblemHeader;
      const error = new LiveProblem(problem);
      if (key === undefined) return this.fail(error);
      const waiting = this.waiting.get(key);
      this.waiting.delete(key);
      return waiting?.reject(error);
    }
  }

  private fail(error: Error): void {
    this.closed ??= error;
    for (const w of this.waiting.values()) w.reject(error);
    this.waiting.clear();
  }
}

/** Opens `count` sessions, `batch` upgrades at a time (each upgrade authenticates in the Worker). */
export async function openSessions(url: string, token: string, count: number, options: SessionOptions = {}, batch = 32): Promise<LiveSession[]> {
  const sessions: LiveSession[] = [];
  try {
    while (sessions.length < count) {
      const n = Math.min(batch, count - sessions.length);
      const opened = await Promise.allSettled(Array.from({ length: n }, () => LiveSession.open(url, token, options)));
      for (const o of opened) if (o.status === "fulfilled") sessions.push(o.value);
      const failed = opened.find((o) => o.status === "rejected");
      if (failed) throw failed.reason;
    }
  } catch (e) {
    for (const s of sessions) s.close();
    throw e;
  }
  return sessions;
}
