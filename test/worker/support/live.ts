import { decodeFrame, encodeFrame, type Frame, type FrameKindName } from "../../../src/formats/live-frames";
import { BASE, token } from "./api";
import { workerFetch } from "./contract";
import type { Scope } from "../../../src/edge/auth/token";

/** What the shard sent on a socket, in order: frames, text, and finally the close. */
export type Received = { frame: Frame } | { text: string } | { close: { code: number; reason: string } };

/** A test's end of a live session: sends frames, and awaits what comes back in order. */
export class LiveClient {
  private readonly received: Received[] = [];
  private waiting: (() => void) | undefined;

  constructor(readonly ws: WebSocket) {
    // The compatibility date's default is "blob" (as in browsers).
    ws.binaryType = "arraybuffer";
    ws.accept();
    ws.addEventListener("message", (event) => {
      const data = event.data;
      this.push(typeof data === "string" ? { text: data } : { frame: decodeFrame(data as ArrayBuffer, Number.MAX_SAFE_INTEGER) });
    });
    ws.addEventListener("close", (event) => this.push({ close: { code: event.code, reason: event.reason } }));
  }

  private push(item: Received): void {
    this.received.push(item);
    this.waiting?.();
  }

  send(kind: FrameKindName, header: object, payload?: ArrayLike<number>): void {
    this.ws.send(encodeFrame(kind, header, payload && Float32Array.from(payload)));
  }

  /** The next thing received. */
  async next(): Promise<Received> {
    while (this.received.length === 0) await new Promise<void>((resolve) => (this.waiting = resolve));
    this.waiting = undefined;
    return this.received.shift()!;
  }

  /** The next frame, which must be of `kind` (anything else fails with what came). */
  async expect<H = Record<string, unknown>>(kind: FrameKindName): Promise<Frame<H & Record<string, unknown>>> {
    const got = await this.next();
    if (!("frame" in got) || got.frame.kind !== kind) throw new Error(`expected a ${kind} frame, got ${JSON.stringify("frame" in got ? { kind: got.frame.kind, header: got.frame.header } : got)}`);
    return got.frame as Frame<H & Record<string, unknown>>;
  }

  async closed(): Promise<{ code: number; reason: string }> {
    const got = await this.next();
    if (!("close" in got)) throw new Error(`expected the close, got ${JSON.stringify("frame" in got ? { kind: got.frame.kind, header: got.frame.header } : got)}`);
    return got.close;
  }

  close(): void {
    this.ws.close(1000, "done");
  }
}

export interface OpenOptions {
  scopes?: Scope[];
  sub?: string;
  headers?: Record<string, string>;
  /** Open with this ticket instead of a bearer token. */
  ticket?: string;
  bearer?: string;
}

/** Asks for the upgrade; answers the Response (101 with its webSocket, or a problem). */
export async function upgrade(shard: string, options: OpenOptions = {}): Promise<Response> {
  const headers = new Headers({ upgrade: "websocket", ...options.headers });
  if (options.ticket === undefined) headers.set("authorization", `Bearer ${options.bearer ?? (await token(options.scopes, "", options.sub))}`);
  const query = options.ticket === undefined ? "" : `?ticket=${encodeURIComponent(options.ticket)}`;
  return workerFetch(`${BASE}/v1/shards/${shard}/live${query}`, { headers });
}

/** Opens a session and reads its welcome. */
export async function openLive(shard: string, options: OpenOptions = {}): Promise<{ client: LiveClient; welcome: Frame }> {
  const res = await upgrade(shard, options);
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade of ${shard}: ${res.status} ${await res.text()}`);
  const client = new LiveClient(res.webSocket);
  return { client, welcome: await client.expect("welcome") };
}
