/** What a live session (live.ts) takes and answers. */
import type { WelcomeHeader } from "../../../src/formats/live-frames.js";
import type { BackoffPolicy } from "./backoff.js";
import type { PushSummary, RoundReceipt } from "./generated/types.gen.js";

export interface LiveOptions {
  /** "auto" (default): the socket, or HTTP when it cannot open; "http": HTTP only. */
  transport?: "auto" | "http";
  /** Reconnects after the socket is lost: backoff between attempts, and attempts before HTTP takes over (default 6). */
  reconnect?: Partial<BackoffPolicy> & { attempts?: number };
  /** Called after every reconnect (and when HTTP takes over after the socket was lost for good). */
  onReconnect?: (event: { attempt: number; transport: "socket" | "http"; resent: number }) => void;
  /** A refusal that answers no push (a subscribe the server refused is thrown by its iterator as well). */
  onProblem?: (error: Error) => void;
  /** How long the upgrade and the welcome may take before HTTP serves instead (default 10 s). */
  openTimeoutMs?: number;
  /** Pushes at once over HTTP (over the socket: the welcome's `max_in_flight`); default 8. */
  maxInFlight?: number;
  /** Each long poll's wait over HTTP, in seconds (default 25). */
  waitSeconds?: number;
  /** A WebSocket constructor (default: the global one; Node 22 and browsers have it). */
  WebSocket?: typeof WebSocket;
  /** Closes the session. */
  signal?: AbortSignal;
}

export interface LivePushOptions {
  /** Default: a new random key. It goes with every resend of the push, over the socket or HTTP. */
  idempotencyKey?: string;
  /** The version the gradient was computed at (staleness). */
  baseVersion?: number;
  /** Samples behind the gradient (its weight in averaging reducers). */
  sampleCount?: number;
  /** Where a partial gradient starts. */
  offset?: number;
  /** "weights": the answer carries the updated weights (or the point) of the pushed range; default "summary". */
  answer?: "weights" | "summary";
  /** An lbfgs shard: the loss at the point (X-Loss) and that point's revision. */
  loss?: number;
  pointRevision?: number;
}

/** A push's outcome. */
export interface LiveAnswer {
  key: string;
  /** The version this push produced (for a replayed key, the one of the first answer). */
  version: number;
  revision: number;
  lr: number;
  /** True when the server answered from its ledger: this key had been applied before (a resend). */
  replayed: boolean;
  offset: number;
  /** With `answer: "weights"`: the updated weights of the pushed range, or the point when `pointIsWeights` is false. Else empty. */
  values: Float32Array;
  pointIsWeights: boolean;
  /** The push's JSON summary (every answer but an HTTP push that asked for the weights). */
  summary?: PushSummary;
  /** Rounds mode: the push was counted in the round that is still open (nothing applied yet). */
  receipt?: RoundReceipt;
  via: "socket" | "http";
}

export interface SubscribeOptions {
  /** "version" (default): the notice alone; "weights": with the whole vector of weights. */
  notify?: "version" | "weights";
  /** Every Nth version (default 1). */
  every?: number;
}

/** The shard's version moved. */
export interface LiveNotice {
  version: number;
  revision: number;
  /**
   * Versions between the previous notice this iterator gave (or the version when it started) and
   * this one that it did not give: `every` − 1 in steady state, more after a reconnect or when the
   * subscriber fell behind.
   */
  skipped: number;
  /** The whole vector of weights at `version` (notify: "weights"). */
  weights?: Float32Array;
}

/** A round closed (rounds mode): its new weights (or point). */
export interface LiveRound {
  round: number;
  version: number;
  revision: number;
  values: Float32Array;
  pointIsWeights: boolean;
}

export interface LiveSession {
  readonly shard: string;
  /** How the session talks to the shard now: "http" when the socket could not open. */
  readonly transport: "socket" | "http";
  /** Why the session talks HTTP (the socket could not open, or stayed lost); undefined over the socket. */
  readonly fallbackReason: string | undefined;
  /** The latest welcome (limits, mode, version at the start), undefined over HTTP. */
  readonly welcome: WelcomeHeader | undefined;
  /** The latest version the session has heard of (welcome, answers, notices). */
  readonly version: number;
  /** Pushes sent and not yet answered. */
  readonly inFlight: number;
  /**
   * Pushes a gradient and answers its outcome; a refusal rejects with the same ShardstepProblem as
   * HTTP. Waits while `max_in_flight` pushes are unanswered; sends a gradient longer than the
   * welcome's `chunk_floats` in chunks; resends it with its key after a reconnect.
   */
  push(gradient: Float32Array, options?: LivePushOptions): Promise<LiveAnswer>;
  /** Notices of new versions, from now on, until `break` or `close()`. One subscription at a time: a new one ends the previous. */
  subscribe(options?: SubscribeOptions): AsyncIterableIterator<LiveNotice>;
  /** Rounds mode: every round that closes, with its weights. */
  rounds(): AsyncIterableIterator<LiveRound>;
  /** Closes the socket; unanswered pushes reject, iterators end. */
  close(): void;
}
