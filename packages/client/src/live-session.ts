/**
 * One live session on a shard: the socket (reconnected with backoff when lost) or, when it cannot
 * open, HTTP. Unanswered pushes are kept with their keys and resent after every reconnect (the
 * server's ledger applies a key once); the subscription is sent again and resumes from the last
 * version it gave.
 */
import {
  decodeFrame,
  encodeFrame,
  type AnswerHeader,
  type Frame,
  type NoticeHeader,
  type ProblemHeader,
  type PushHeader,
  type ReceiptHeader,
  type RoundHeader,
  type WelcomeHeader,
} from "../../../src/formats/live-frames.js";
import { backoffDelay, type BackoffPolicy } from "./backoff.js";
import type { Client } from "./generated/client/index.js";
import type { PushSummary, RoundReceipt } from "./generated/types.gen.js";
import { newIdempotencyKey } from "./idempotency.js";
import { Channel } from "./live-channel.js";
import { answerOfSummary, pollVersions, pushOverHttp, type HttpCalls } from "./live-http.js";
import { LiveUnavailable, openSocket, problemError, UNCAPPED } from "./live-socket.js";
import type { LiveAnswer, LiveNotice, LiveOptions, LivePushOptions, LiveRound, LiveSession, SubscribeOptions } from "./live-types.js";
import { isShardstepProblem } from "./problem.js";

const DEFAULTS = { attempts: 6, baseDelayMs: 200, maxDelayMs: 5_000, openTimeoutMs: 10_000, maxInFlight: 8, waitSeconds: 25 };

interface PendingPush {
  key: string;
  gradient: Float32Array;
  options: LivePushOptions;
  resolve(answer: LiveAnswer): void;
  reject(error: unknown): void;
}

interface Subscription {
  options: Required<SubscribeOptions>;
  channel: Channel<LiveNotice>;
  /** The version of the last notice given; undefined before the first. */
  last: number | undefined;
}

export class LiveSessionImpl implements LiveSession {
  transport: "socket" | "http" = "socket";
  welcome: WelcomeHeader | undefined;
  fallbackReason: string | undefined;
  version = 0;
  private socket: WebSocket | undefined;
  private closed = false;
  private readonly pending = new Map<string, PendingPush>();
  private readonly slotWaiters: (() => void)[] = [];
  private subscription: Subscription | undefined;
  private roundsChannel: Channel<LiveRound> | undefined;
  /** Aborts the HTTP calls of the session (long polls, fallback pushes) on close. */
  private readonly stop = new AbortController();
  private polling = false;
  /** Pushes holding a slot of `maxInFlight`: sent, or about to be. */
  private occupied = 0;
  /** Bytes received since the client last sent anything (see showReading). */
  private received = 0;
  private readonly backoff: BackoffPolicy & { attempts: number };

  constructor(
    readonly shard: string,
    private readonly client: Client,
    private readonly http: HttpCalls,
    private readonly options: LiveOptions,
  ) {
    this.backoff = { ...DEFAULTS, ...options.reconnect };
    options.signal?.addEventListener("abort", () => this.close(), { once: true });
  }

  get inFlight(): number {
    return this.occupied;
  }

  /** Opens the socket, or settles for HTTP when it cannot open. */
  async start(): Promise<void> {
    if (this.options.transport === "http") return this.useHttp();
    try {
      this.adopt(await this.open());
    } catch (error) {
      if (!(error instanceof LiveUnavailable)) throw error;
      this.fallbackReason = error.message;
      await this.useHttp();
    }
  }

  push(gradient: Float32Array, options: LivePushOptions = {}): Promise<LiveAnswer> {
    if (this.closed) return Promise.reject(new Error("shardstep: the live session is closed"));
    const key = options.idempotencyKey ?? newIdempotencyKey();
    return this.slot().then(
      () =>
        new Promise<LiveAnswer>((resolve, reject) => {
          if (this.closed) return reject(new Error("shardstep: the live session is closed"));
          const push: PendingPush = { key, gradient, options, resolve, reject };
          this.pending.set(key, push);
          this.send(push);
        }),
    );
  }

  subscribe(options: SubscribeOptions = {}): AsyncIterableIterator<LiveNotice> {
    this.subscription?.channel.end();
    const wanted = { notify: options.notify ?? "version", every: options.every ?? 1 } as const;
    const channel = new Channel<LiveNotice>(() => {
      if (this.subscription?.channel !== channel) return;
      this.subscription = undefined;
      this.sendFrame(encodeFrame("unsubscribe", {}));
    });
    this.subscription = { options: wanted, channel, last: undefined };
    if (this.closed) channel.end();
    else if (this.transport === "socket") this.sendFrame(encodeFrame("subscribe", wanted));
    else this.poll();
    return channel;
  }

  rounds(): AsyncIterableIterator<LiveRound> {
    this.roundsChannel ??= new Channel<LiveRound>(() => (this.roundsChannel = undefined));
    if (this.closed) this.roundsChannel.end();
    else if (this.transport === "http") this.poll();
    return this.roundsChannel;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stop.abort();
    this.socket?.close(1000, "closed by the client");
    this.socket = undefined;
    const error = new Error("shardstep: the live session was closed before the push was answered");
    for (const push of this.pending.values()) push.reject(error);
    this.pending.clear();
    this.occupied = 0;
    this.subscription?.channel.end();
    this.roundsChannel?.end();
    for (const wake of this.slotWaiters.splice(0)) wake();
  }

  // ---- pushes ----

  private get maxInFlight(): number {
    return this.welcome && this.transport === "socket" ? this.welcome.limits.max_in_flight : (this.options.maxInFlight ?? DEFAULTS.maxInFlight);
  }

  /** Resolves when fewer than `maxInFlight` pushes are unanswered. */
  private async slot(): Promise<void> {
    while (!this.closed && this.occupied >= this.maxInFlight) await new Promise<void>((wake) => this.slotWaiters.push(wake));
    this.occupied++;
  }

  private settle(key: string, outcome: { answer: LiveAnswer } | { error: unknown }): void {
    const push = this.pending.get(key);
    if (!push) return;
    this.pending.delete(key);
    this.occupied--;
    if ("answer" in outcome) push.resolve(outcome.answer);
    else push.reject(outcome.error);
    this.slotWaiters.shift()?.();
  }

  private send(push: PendingPush): void {
    if (this.transport === "http") {
      pushOverHttp(this.http, this.shard, push.gradient, push.key, push.options, this.stop.signal).then(
        (answer) => this.heard(answer.version) && this.settle(push.key, { answer }),
        (error: unknown) => this.settle(push.key, { error }),
      );
      return;
    }
    for (const frame of this.pushFrames(push)) this.sendFrame(frame);
  }

  /** The push's frames: one, or chunks of the welcome's `chunk_floats` floats. */
  private pushFrames({ key, gradient, options }: PendingPush): Uint8Array[] {
    const header: PushHeader = { key };
    if (options.baseVersion !== undefined) header.base_version = options.baseVersion;
    if (options.sampleCount !== undefined) header.samples = options.sampleCount;
    if (options.offset !== undefined) header.offset = options.offset;
    if (options.answer !== undefined) header.answer = options.answer;
    if (options.loss !== undefined) header.loss = options.loss;
    if (options.pointRevision !== undefined) header.point_revision = options.pointRevision;
    const chunk = this.welcome?.limits.chunk_floats ?? Infinity;
    if (gradient.length <= chunk) return [encodeFrame("push", header, gradient)];
    const count = Math.ceil(gradient.length / chunk);
    return Array.from({ length: count }, (_, index) =>
      encodeFrame("push", { ...header, chunk: { index, count, length: gradient.length } }, gradient.subarray(index * chunk, (index + 1) * chunk)),
    );
  }

  // ---- the socket ----

  private open() {
    return openSocket({ client: this.client, shard: this.shard, WebSocket: this.options.WebSocket, openTimeoutMs: this.options.openTimeoutMs ?? DEFAULTS.openTimeoutMs });
  }

  private adopt({ socket, welcome }: { socket: WebSocket; welcome: WelcomeHeader }): void {
    if (this.closed) return socket.close(1000, "closed by the client");
    this.socket = socket;
    this.welcome = welcome;
    this.transport = "socket";
    this.heard(welcome.version);
    this.received = 0;
    socket.addEventListener("message", (event: MessageEvent) => this.receive(event.data as ArrayBuffer | string));
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      void this.reconnect();
    });
  }

  private sendFrame(frame: Uint8Array): void {
    // Frames sent while the socket is down are sent again (pushes) or anew (subscribe) on reconnect.
    if (this.socket?.readyState !== 1) return;
    this.socket.send(frame);
    this.received = 0;
  }

  private receive(data: ArrayBuffer | string): void {
    // The only text message is the answer to a ping.
    if (typeof data === "string") return;
    this.showReading(data.byteLength);
    let frame: Frame;
    try {
      frame = decodeFrame(data, UNCAPPED);
    } catch (error) {
      return this.options.onProblem?.(error as Error);
    }
    const header = frame.header as unknown;
    switch (frame.kind) {
      case "answer":
        return this.answered(header as AnswerHeader, frame.payload);
      case "receipt": {
        const { key, round } = header as ReceiptHeader;
        const summary = round as unknown as RoundReceipt;
        return this.settle(key, { answer: { ...answerOfSummary(key, { ...this.stamp(), round: summary } as PushSummary, undefined, true, "socket"), receipt: summary } });
      }
      case "notice":
        return this.noticed(header as NoticeHeader, frame.payload);
      case "round": {
        const { round, version, revision, payload } = header as RoundHeader;
        this.heard(version);
        return this.roundsChannel?.put({ round, version, revision, values: frame.payload, pointIsWeights: payload !== "distinct" });
      }
      case "problem": {
        const problem = header as ProblemHeader;
        const error = problemError(problem);
        if (problem.key !== undefined && this.pending.has(problem.key)) return this.settle(problem.key, { error });
        this.options.onProblem?.(error);
        return;
      }
      case "welcome":
        this.welcome = header as WelcomeHeader;
        this.heard(this.welcome.version);
        return;
      default:
        return;
    }
  }

  /** A receipt carries no version of its own: the session's current one. */
  private stamp() {
    return { version: this.version, revision: this.welcome?.revision ?? 0, lr: 0, applied: false, replayed: false, offset: 0, count: 0, non_finite: 0, staleness: 0, staleness_scale: 1 };
  }

  private answered(header: AnswerHeader, payload: Float32Array): void {
    const { key, payload: carries, ...summary } = header;
    this.heard(header.version);
    const values = carries === "none" ? new Float32Array(0) : payload;
    this.settle(key, { answer: answerOfSummary(key, summary as unknown as PushSummary, values, carries !== "distinct", "socket") });
  }

  /**
   * The shard counts the bytes it sent since the client last sent anything, and closes a socket
   * past `max_unsent_bytes` as not reading: a client that only receives (a subscriber) says it
   * reads with a ping (answered by the runtime without waking the shard) every quarter of that.
   */
  private showReading(bytes: number): void {
    this.received += bytes;
    const limit = this.welcome?.limits.max_unsent_bytes ?? Infinity;
    if (this.received < limit / 4 || this.socket?.readyState !== 1) return;
    this.socket.send("ping");
    this.received = 0;
  }

  private noticed(header: NoticeHeader, payload: Float32Array): void {
    this.heard(header.version);
    const subscription = this.subscription;
    if (!subscription) return;
    this.give(subscription, { version: header.version, revision: header.revision, skipped: header.skipped, ...(header.weights ? { weights: payload } : {}) });
  }

  /**
   * Gives `notice` to the subscription, its `skipped` counted from the last notice given (the
   * first notice keeps the server's count), and drops a notice of a version given already.
   */
  private give(subscription: Subscription, notice: LiveNotice): void {
    const { last } = subscription;
    if (last !== undefined) {
      if (notice.version <= last) return;
      notice.skipped = notice.version - last - 1;
    }
    subscription.last = notice.version;
    subscription.channel.put(notice);
  }

  /** Records a version heard of; answers true (for chaining). */
  private heard(version: number): true {
    if (version > this.version) this.version = version;
    return true;
  }

  private async reconnect(): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      if (attempt > this.backoff.attempts) return this.fallBack(attempt - 1);
      await new Promise((wake) => setTimeout(wake, backoffDelay(attempt, this.backoff)));
      if (this.closed) return;
      try {
        this.adopt(await this.open());
      } catch (error) {
        // A ticket refused as not found: the shard was deleted while the socket was down.
        if (error instanceof LiveUnavailable && isShardstepProblem(error.cause)) return this.fail(error.cause);
        if (error instanceof LiveUnavailable || (isShardstepProblem(error) && (error.status === 429 || error.status >= 500))) continue;
        return this.fail(error);
      }
      this.resume();
      this.options.onReconnect?.({ attempt, transport: "socket", resent: this.pending.size });
      return;
    }
  }

  /**
   * After a reconnect: every unanswered push again, with its key, and the subscription again from
   * the last version it gave (`since`: the shard's first notice says where it stands and counts
   * the versions missed meanwhile as skipped).
   */
  private resume(): void {
    for (const push of this.pending.values()) this.send(push);
    const subscription = this.subscription;
    if (!subscription) return;
    const since = subscription.last === undefined ? {} : { since: subscription.last };
    this.sendFrame(encodeFrame("subscribe", { ...subscription.options, ...since }));
  }

  /** The socket stayed down: HTTP from now on, with every unanswered push resent with its key. */
  private async fallBack(attempts: number): Promise<void> {
    this.fallbackReason = `the socket was lost and ${attempts} reconnects failed`;
    await this.useHttp();
    for (const push of this.pending.values()) this.send(push);
    this.options.onReconnect?.({ attempt: attempts, transport: "http", resent: this.pending.size });
  }

  private async useHttp(): Promise<void> {
    this.transport = "http";
    this.welcome = undefined;
    if (this.subscription || this.roundsChannel) this.poll();
  }

  /** New versions by long poll (HTTP only), for the subscription and the rounds; one loop per session. */
  private poll(): void {
    if (this.polling || this.closed) return;
    this.polling = true;
    const waitSeconds = this.options.waitSeconds ?? DEFAULTS.waitSeconds;
    pollVersions(this.http, this.shard, waitSeconds, this.stop.signal, ({ values, version, revision }, first) => {
      this.heard(version);
      const subscription = this.subscription;
      // As over the socket: a first notice of where the shard stands, then every `every`th version.
      if (subscription && (subscription.last === undefined || version - subscription.last >= subscription.options.every)) {
        this.give(subscription, { version, revision, skipped: 0, ...(subscription.options.notify === "weights" ? { weights: values } : {}) });
      }
      if (!first) this.roundsChannel?.put({ round: version, version, revision, values, pointIsWeights: true });
    }).then(
      () => (this.polling = false),
      (error: unknown) => {
        this.polling = false;
        this.subscription?.channel.fail(error);
        this.roundsChannel?.fail(error);
      },
    );
  }

  /** A failure no reconnect can mend (the token was refused): every push and iterator gets it. */
  private fail(error: unknown): void {
    for (const push of [...this.pending.values()]) this.settle(push.key, { error });
    this.subscription?.channel.fail(error);
    this.roundsChannel?.fail(error);
    this.closed = true;
    this.stop.abort();
  }
}
