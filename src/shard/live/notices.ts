import { encodeFrame, LiveCloseCode, type NoticeHeader, type RoundHeader } from "../../formats/live-frames";
import { roundsClosed } from "../rounds/round-store";
import type { ShardStore } from "../store/store";
import type { Vectors } from "../vectors";
import { close, type Outbox } from "./outbox";
import type { Attachment } from "./session";

/**
 * What sockets are told when the shard moves, after every commit (a push over a socket or HTTP, a
 * round's close, a restore, an upload): each subscriber a notice of the new version (with the
 * weights if it asked), or nothing until its Nth version, the versions it was not told counted as
 * `skipped`; each socket whose round closed, a round frame with the weights after it. Notices are
 * sent in commit order, a commit of several versions (a group of pushes) as one notice. What a socket
 * was last told is in its attachment: it survives hibernation.
 */
export class Notices {
  private scheduled = false;
  /**
   * Whether a socket may be waiting to be told (subscribed, or pushed in an open round): false once
   * a pass found none, until one subscribes or pushes in a round, so that pushes of sockets that only
   * push cost no pass over every socket. Memory only: after a wake-up the first pass finds out.
   */
  private listening = true;
  /** Where the shard stood at the last pass (memory only: after a wake-up the first pass reads every socket). */
  private seen: string | undefined;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly store: ShardStore,
    private readonly vectors: Vectors,
    private readonly outbox: Outbox,
  ) {}

  /**
   * After a commit: the pass runs once the caller's synchronous work is done (a restore reloads the
   * shard right after its commit). None while no socket waits to be told: sockets that only push cost
   * no pass (a deletion closes every socket through `deleted`).
   */
  schedule(): void {
    if (this.scheduled || !this.listening) return;
    this.scheduled = true;
    queueMicrotask(this.scheduledPass);
  }

  private readonly scheduledPass = (): void => {
    this.scheduled = false;
    try {
      this.pass();
    } catch (e) {
      console.error("live notices failed", e);
    }
  };

  /** The shard was deleted: every socket is closed (4404). */
  deleted(): void {
    for (const ws of this.ctx.getWebSockets()) close(ws, LiveCloseCode.shardDeleted, "the shard was deleted");
    this.seen = undefined;
  }

  /** A socket's receipt was sent: if its round closed meanwhile (between the receipt's making and now), the next pass sends its round frame. */
  recheck(): void {
    this.seen = undefined;
    this.listening = true;
    this.schedule();
  }

  /** A subscriber's first notice: where the shard stands now, the versions since `since` counted as skipped. */
  subscribe(ws: WebSocket, attachment: Attachment, weights: boolean, every: number, since: number | undefined): void {
    const { version, revision } = this.store.existing().meta;
    this.listening = true;
    attachment.subscription = { weights, every, version, revision };
    this.outbox.keep(ws, attachment);
    const skipped = since === undefined ? 0 : Math.max(0, version - since - 1);
    this.notice(ws, attachment, { version, revision, skipped, weights }, weights ? this.weights() : undefined);
  }

  private pass(): void {
    const resident = this.store.resident();
    if (!resident) return this.deleted();
    if (!this.listening) return;
    const sockets = this.ctx.getWebSockets();
    const { meta } = resident;
    const closedRounds = roundsClosed(meta);
    const now = `${meta.version}:${meta.revision}:${closedRounds}`;
    if (now === this.seen) return;
    this.seen = now;
    let weights: Float32Array | undefined;
    const lazyWeights = () => (weights ??= this.weights());
    // Subscribers told the same thing get the same bytes: each distinct notice is encoded once.
    const frames = new Map<string, Uint8Array>();
    let listening = false;
    for (const ws of sockets) {
      const attachment = this.outbox.attachment(ws);
      if (!attachment || !this.outbox.alive(ws, attachment)) continue;
      listening ||= attachment.round !== null || attachment.subscription !== null;
      if (attachment.round !== null && closedRounds >= attachment.round) this.round(ws, attachment, attachment.round);
      const sub = attachment.subscription;
      if (!sub || sub.revision === meta.revision) continue;
      const moved = meta.version - sub.version;
      // every 1: each revision (an upload, an lbfgs evaluation); every N: each Nth version.
      if (sub.every > 1 ? moved < sub.every : false) continue;
      const skipped = Math.max(0, moved - 1);
      sub.version = meta.version;
      sub.revision = meta.revision;
      this.outbox.keep(ws, attachment);
      const shared = `${skipped}:${sub.weights}`;
      let frame = frames.get(shared);
      if (!frame) frames.set(shared, (frame = encodeFrame("notice", { version: meta.version, revision: meta.revision, skipped, weights: sub.weights } satisfies NoticeHeader, sub.weights ? lazyWeights() : undefined)));
      this.outbox.sendFrame(ws, frame);
    }
    this.listening = listening;
  }

  private notice(ws: WebSocket, attachment: Attachment, header: NoticeHeader, weights: Float32Array | undefined): void {
    this.outbox.send(ws, attachment, "notice", header, weights);
  }

  /** The round the socket pushed in has closed: the weights (or the point) after it. */
  private round(ws: WebSocket, attachment: Attachment, round: number): void {
    const { meta } = this.store.existing();
    const answer = this.vectors.pushAnswer(0, meta.config.length);
    const vector = answer.point ?? answer.weights;
    attachment.round = null;
    this.outbox.keep(ws, attachment);
    const header: RoundHeader = { round, version: meta.version, revision: meta.revision, payload: answer.point ? "distinct" : "weights" };
    this.outbox.send(ws, attachment, "round", header, new Float32Array(vector.bytes));
  }

  /** The whole vector of weights. */
  private weights(): Float32Array {
    return new Float32Array(this.vectors.read({ offset: 0 }).bytes);
  }
}
