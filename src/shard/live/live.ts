import { decodeFrame, FrameError, type AnswerHeader, type Frame, type ReceiptHeader, type WelcomeHeader } from "../../formats/live-frames";
import { LIVE_MAX_FRAME_BYTES, LIVE_MAX_IN_FLIGHT, LIVE_MAX_SOCKETS } from "../../limits";
import { problemSpec, refuse, RefusalError } from "../../problems";
import type { Pushes } from "../pushes/pushes";
import type { ShardStore } from "../store/store";
import { presentReceipt, presentSummary } from "../summary";
import type { Vectors } from "../vectors";
import { Assemblies } from "./assembly";
import { pushHeaderOf, subscribeHeaderOf } from "./frame-headers";
import { Notices } from "./notices";
import { Outbox } from "./outbox";
import { attachmentOf, LIVE_SESSION_HEADER, SESSION_LIMITS, sessionOf, type Attachment } from "./session";
import { redeemTicket } from "./tickets";

/**
 * Live sessions of one shard (docs/live.md): sockets accepted with the hibernation API, each
 * frame handled as the HTTP route would handle its request (a push goes through the same
 * `Pushes.push`: the same ledger, validation, rate limit and group commit), refusals sent as
 * problem frames. Everything a socket needs across hibernation is in its attachment; what is held
 * in memory (frames in flight, a chunked push) exists only while the object is awake anyway.
 */
export class Live {
  private readonly outbox: Outbox;
  private readonly notices: Notices;
  private readonly assemblies = new Assemblies();
  /** Frames being handled, per socket id. */
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly store: ShardStore,
    private readonly pushes: Pushes,
    vectors: Vectors,
  ) {
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    this.outbox = new Outbox(ctx, () => store.now());
    this.notices = new Notices(ctx, store, vectors, this.outbox);
    store.onCommit = () => this.notices.schedule();
    store.onDelete = () => this.notices.deleted();
  }

  /** Accepts the upgrade the edge handed over (its session in LIVE_SESSION_HEADER); a refusal is answered as its JSON. */
  accept(request: Request): Response {
    try {
      return this.open(request);
    } catch (e) {
      if (!(e instanceof RefusalError)) throw e;
      return Response.json(e.toRefusal(), { status: problemSpec(e.code).status });
    }
  }

  private open(request: Request): Response {
    const session = sessionOf(request.headers.get(LIVE_SESSION_HEADER));
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") refuse("upgrade-required", "a live session is a WebSocket: open it with `Upgrade: websocket`");
    const { meta } = this.store.existing();
    const open = this.ctx.getWebSockets().length;
    if (open >= LIVE_MAX_SOCKETS) refuse("live-backlog", `the shard has ${open} live sessions open, as many as it keeps (${LIVE_MAX_SOCKETS}): retry later`, { retry_after: 1 });
    const now = this.store.now();
    const attachment = attachmentOf(session, crypto.randomUUID(), now);
    if (session.ticket) redeemTicket(this.store.sql, session.ticket, now);
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    this.outbox.keep(server, attachment);
    const welcome: WelcomeHeader = {
      shard: meta.name,
      version: meta.version,
      revision: meta.revision,
      length: meta.config.length,
      mode: meta.config.aggregation.mode,
      subject: session.sub,
      client_id: session.client,
      expires_at: session.expiresAt,
      limits: SESSION_LIMITS,
    };
    this.outbox.send(server, attachment, "welcome", welcome);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** One message of a socket: a frame handled, or refused with a problem frame. */
  async message(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const attachment = this.outbox.attachment(ws);
    if (!attachment || !this.outbox.alive(ws, attachment)) return;
    this.outbox.heard(ws);
    let frame: Frame | undefined;
    const inFlight = this.inFlight.get(attachment.id) ?? 0;
    this.inFlight.set(attachment.id, inFlight + 1);
    try {
      frame = decoded(data);
      if (inFlight >= LIVE_MAX_IN_FLIGHT) {
        refuse("live-backlog", `this session has ${inFlight} frames in flight, as many as it may (max_in_flight): wait for answers before sending more`, { retry_after: 1 });
      }
      await this.handle(ws, attachment, frame);
    } catch (e) {
      if (!(e instanceof RefusalError)) {
        console.error("live frame failed", e);
        this.outbox.problem(ws, { code: "internal", detail: "the server failed to handle the frame" }, keyOf(frame));
        return;
      }
      this.outbox.problem(ws, e.toRefusal(), keyOf(frame));
    } finally {
      const left = (this.inFlight.get(attachment.id) ?? 1) - 1;
      if (left > 0) this.inFlight.set(attachment.id, left);
      else this.inFlight.delete(attachment.id);
    }
  }

  /** A socket closed or failed: what memory held for it goes. */
  closed(ws: WebSocket): void {
    const attachment = this.outbox.attachment(ws);
    if (!attachment) return;
    this.inFlight.delete(attachment.id);
    this.assemblies.drop(attachment.id);
  }

  private async handle(ws: WebSocket, attachment: Attachment, frame: Frame): Promise<void> {
    switch (frame.kind) {
      case "push":
        return this.push(ws, attachment, frame);
      case "subscribe": {
        const header = subscribeHeaderOf(frame.header);
        await this.pushes.drained();
        const fresh = this.outbox.attachment(ws)!;
        return this.notices.subscribe(ws, fresh, header.notify === "weights", header.every ?? 1, header.since);
      }
      case "unsubscribe": {
        const fresh = this.outbox.attachment(ws)!;
        fresh.subscription = null;
        this.outbox.keep(ws, fresh);
        return;
      }
      default:
        refuse("invalid-frame", `a client sends push, subscribe and unsubscribe frames, not ${frame.kind}`);
    }
  }

  private async push(ws: WebSocket, attachment: Attachment, frame: Frame): Promise<void> {
    let header = pushHeaderOf(frame.header);
    if (!attachment.push) {
      refuse("forbidden", `scope 'train' is needed to push gradients to '${attachment.shard}'; the session's token has ${attachment.scopes.map((s) => `'${s}'`).join(", ")}`, {
        required_scope: "train",
        scopes: attachment.scopes,
        name: attachment.shard,
      });
    }
    let gradient: ArrayBuffer | Uint8Array<ArrayBuffer>;
    if (header.chunk) {
      const whole = this.assemblies.add(attachment.id, header, frame.payload);
      if (!whole) return;
      ({ header, gradient } = whole);
    } else {
      gradient = new Uint8Array(frame.payload.buffer as ArrayBuffer, frame.payload.byteOffset, frame.payload.byteLength); // a view into the message: no copy
    }
    const result = await this.pushes.push({
      gradient,
      offset: header.offset,
      baseVersion: header.base_version,
      subject: attachment.sub,
      clientId: attachment.client,
      clientKey: attachment.clientKey,
      sampleCount: header.samples,
      loss: header.loss,
      pointRevision: header.point_revision,
      idempotencyKey: header.key + attachment.keySuffix,
      respond: header.answer === "weights" ? "weights" : "summary",
      waitMs: 0,
      via: attachment.via ?? undefined,
    });
    const fresh = this.outbox.attachment(ws);
    if (!fresh) return;
    if (result.round && !result.round.closed) {
      fresh.round = result.round.number;
      this.outbox.keep(ws, fresh);
      const receipt: ReceiptHeader = { key: header.key, round: presentReceipt(result.round) };
      this.outbox.send(ws, fresh, "receipt", receipt);
      this.notices.recheck();
      return;
    }
    const vector = result.point ?? result.weights;
    const answer: AnswerHeader = { key: header.key, ...presentSummary(result), payload: result.point ? "distinct" : vector ? "weights" : "none" };
    this.outbox.send(ws, fresh, "answer", answer, vector && new Float32Array(vector.bytes));
  }
}

function decoded(data: string | ArrayBuffer): Frame {
  if (typeof data === "string") {
    refuse("invalid-frame", `a text message (${JSON.stringify(data.slice(0, 32))}) is not a frame: frames are binary, and the only text message is 'ping' (answered 'pong')`);
  }
  try {
    return decodeFrame(data, LIVE_MAX_FRAME_BYTES);
  } catch (e) {
    if (e instanceof FrameError) refuse("invalid-frame", e.message);
    throw e;
  }
}

const keyOf = (frame: Frame | undefined): string | undefined => (frame?.kind === "push" && typeof frame.header.key === "string" ? frame.header.key : undefined);
