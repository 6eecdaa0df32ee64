import { encodeFrame, LiveCloseCode, type FrameKindName, type ProblemHeader } from "../../formats/live-frames";
import { LIVE_MAX_UNSENT_BYTES } from "../../limits";
import { problemOf } from "../../problem-body";
import type { Refusal } from "../../problems";
import type { Attachment } from "./session";

/**
 * What the shard sends on a socket. `ws.send` has no backpressure, so each socket counts the
 * bytes sent since its client last showed it reads (a frame it sent, or a ping the runtime
 * answered); past LIVE_MAX_UNSENT_BYTES the socket is closed (4408) rather than buffered forever.
 * And each send checks the session's expiry: a socket whose token expired is closed (4401), so no
 * timer per socket is needed and the object can hibernate.
 *
 * While the object is awake each socket's attachment is held in memory (the runtime keeps one
 * WebSocket object per socket until it hibernates) and written back only when what must survive
 * hibernation changes (`keep`); the read counters live in memory alone and start afresh on a wake-up.
 */
export class Outbox {
  private readonly awake = new WeakMap<WebSocket, Attachment>();
  private readonly reading = new WeakMap<WebSocket, { unsent: number; since: number }>();

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly now: () => number,
  ) {}

  /** The socket's attachment: the object every handler of the socket changes (each change read-modify-write with no await). */
  attachment(ws: WebSocket): Attachment | null {
    const held = this.awake.get(ws);
    if (held) return held;
    const stored = ws.deserializeAttachment() as Attachment | null;
    if (stored) this.awake.set(ws, stored);
    return stored;
  }

  /** Writes the attachment back, for what must survive hibernation (the session, its subscription, its round). */
  keep(ws: WebSocket, attachment: Attachment): void {
    this.awake.set(ws, attachment);
    ws.serializeAttachment(attachment);
  }

  /** Whether the session is still open: closes it (4401) once its token has expired. */
  alive(ws: WebSocket, attachment: Attachment): boolean {
    if (attachment.expiresAt === null || this.now() < attachment.expiresAt) return true;
    close(ws, LiveCloseCode.tokenExpired, `token expired at ${new Date(attachment.expiresAt).toISOString()}; reconnect with a fresh token`);
    return false;
  }

  /** The client sent a frame: it is reading, its count starts again. */
  heard(ws: WebSocket): void {
    const reading = this.reading.get(ws);
    if (!reading) return void this.reading.set(ws, { unsent: 0, since: this.now() });
    reading.unsent = 0;
    reading.since = this.now();
  }

  /** Sends one frame; false when the socket is gone or was closed for not reading (or for its expiry). */
  send(ws: WebSocket, attachment: Attachment, kind: FrameKindName, header: object, payload?: Float32Array): boolean {
    if (!this.alive(ws, attachment)) return false;
    return this.sendFrame(ws, encodeFrame(kind, header, payload));
  }

  /** Sends a frame already encoded (one notice to many subscribers is encoded once), counting its bytes as unread until the client shows it reads. */
  sendFrame(ws: WebSocket, frame: Uint8Array): boolean {
    let reading = this.reading.get(ws);
    if (!reading) this.reading.set(ws, (reading = { unsent: 0, since: this.now() }));
    reading.unsent += frame.byteLength;
    // A ping the runtime answered (without waking the object) also shows the client reads: asked only when it matters.
    const pinged = reading.unsent > LIVE_MAX_UNSENT_BYTES ? this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() : undefined;
    if (pinged !== undefined && pinged >= reading.since) {
      reading.unsent = frame.byteLength;
      reading.since = this.now();
    }
    if (reading.unsent > LIVE_MAX_UNSENT_BYTES) {
      close(ws, LiveCloseCode.notReading, `client is not reading: ${reading.unsent} bytes unsent`);
      return false;
    }
    try {
      ws.send(frame);
      return true;
    } catch {
      return false; // closed meanwhile
    }
  }

  /** A refusal as a problem frame: the same problem HTTP answers, with the key of the push it refuses. */
  problem(ws: WebSocket, refusal: Refusal, key: string | undefined): void {
    const attachment = this.attachment(ws);
    if (!attachment) return;
    const header: ProblemHeader = { ...(key === undefined ? {} : { key }), problem: problemOf(refusal, `/v1/shards/${attachment.shard}/live`) as ProblemHeader["problem"] };
    this.send(ws, attachment, "problem", header);
  }
}

/** Closes a socket, whatever state it is in. */
export function close(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason.slice(0, 123)); // a close frame's reason is at most 123 bytes
  } catch {
    // closed already
  }
}
