/**
 * Opening a shard's live socket: a single-use ticket over HTTP with the client's token (browsers
 * cannot set headers on a WebSocket, and a token in a URL would reach logs), then the socket with
 * the ticket, then the shard's welcome frame.
 */
import { decodeFrame, type Frame, type ProblemHeader, type WelcomeHeader } from "../../../src/formats/live-frames.js";
import type { Client } from "./generated/client/index.js";
import { ShardstepProblem } from "./problem.js";
import { settle } from "./transport.js";

/** The socket could not open (no WebSocket here, the server has no live route, the upgrade failed): HTTP serves instead. */
export class LiveUnavailable extends Error {
  override readonly name = "LiveUnavailable";
}

/** Frames the client reads are not capped: the server keeps its own within its limits. */
export const UNCAPPED = Number.MAX_SAFE_INTEGER;

export interface OpenedSocket {
  socket: WebSocket;
  welcome: WelcomeHeader;
}

export interface SocketOpener {
  client: Client;
  shard: string;
  /** The WebSocket constructor (default: the global one). */
  WebSocket: typeof WebSocket | undefined;
  /** How long the upgrade and the welcome may take before the socket counts as unable to open. */
  openTimeoutMs: number;
}

const livePath = (shard: string): string => `/v1/shards/${encodeURIComponent(shard)}/live`;

/** A single-use ticket for one upgrade; 404 and 405 mean a server without live sessions. */
async function fetchTicket({ client, shard }: SocketOpener): Promise<string> {
  try {
    const { data } = await settle(client.post({ url: `${livePath(shard)}/tickets`, security: [{ scheme: "bearer", type: "http" }], parseAs: "json" }));
    return (data as { ticket: string }).ticket;
  } catch (error) {
    if (error instanceof ShardstepProblem && (error.status === 404 || error.status === 405)) throw new LiveUnavailable(`no live sessions here: ${error.detail}`, { cause: error });
    throw error;
  }
}

/** The ws: or wss: URL of the shard's live route with its ticket. */
function socketUrl(client: Client, shard: string, ticket: string): string {
  // A page's client may have a relative base URL: it is the page's.
  const page = (globalThis as { location?: { href: string } }).location?.href;
  const url = new URL(`${String(client.getConfig().baseUrl ?? "").replace(/\/$/, "")}${livePath(shard)}`, page);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("ticket", ticket);
  return url.href;
}

/** The problem frame's refusal as the same error an HTTP answer would throw. */
export const problemError = (header: ProblemHeader): ShardstepProblem => new ShardstepProblem(header.problem.status, header.problem);

/**
 * Opens the socket and waits for its welcome. Throws LiveUnavailable when it cannot open, and the
 * ShardstepProblem of a refused ticket or of a problem frame sent instead of the welcome.
 */
export async function openSocket(opener: SocketOpener): Promise<OpenedSocket> {
  const Socket = opener.WebSocket ?? globalThis.WebSocket;
  if (typeof Socket !== "function") throw new LiveUnavailable("this runtime has no WebSocket");
  const ticket = await fetchTicket(opener);
  const socket = new Socket(socketUrl(opener.client, opener.shard, ticket));
  socket.binaryType = "arraybuffer";
  return new Promise<OpenedSocket>((resolve, reject) => {
    const timer = setTimeout(() => fail(new LiveUnavailable(`no welcome within ${opener.openTimeoutMs} ms`)), opener.openTimeoutMs);
    const detach = () => {
      clearTimeout(timer);
      socket.removeEventListener("message", onMessage);
      socket.removeEventListener("close", onClose);
      socket.removeEventListener("error", onError);
    };
    const fail = (error: Error) => {
      detach();
      socket.close();
      reject(error);
    };
    const onError = () => fail(new LiveUnavailable("the live socket could not open"));
    const onClose = (event: CloseEvent) => fail(new LiveUnavailable(`the live socket closed before its welcome (${event.code} ${event.reason})`));
    const onMessage = (event: MessageEvent) => {
      let frame: Frame;
      try {
        frame = decodeFrame(event.data as ArrayBuffer, UNCAPPED);
      } catch (error) {
        return fail(error as Error);
      }
      if (frame.kind === "problem") return fail(problemError(frame.header as unknown as ProblemHeader));
      if (frame.kind !== "welcome") return fail(new LiveUnavailable(`the first frame was ${frame.kind}, not welcome`));
      detach();
      resolve({ socket, welcome: frame.header as unknown as WelcomeHeader });
    };
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", onClose);
    socket.addEventListener("error", onError);
  });
}
