/**
 * One tab's part in training a shared shard: softmax regression on MNIST (examples/mnist/model.ts)
 * in async mode. The tab joins the shard (an idempotent PUT with the one configuration every tab
 * uses; with a token that may train but not create, it joins the shard as it is), pulls the
 * weights, then loops: the gradient of a minibatch of its digits at its copy of the
 * weights, a push with the version that copy is at (X-Base-Version) and the tab's client id, and the
 * weights that come back replace the copy. Pushes of other tabs land in between, so the versions
 * this tab sees jump; the server scales the step of a stale gradient and refuses one that is too
 * stale, after which the tab pulls the weights afresh. The Learner pushes over a live session
 * (`api.live`: one WebSocket, HTTP when it cannot open) and subscribes to the shard's versions, so
 * the tab shows the shared model's live version as every tab pushes.
 */
import { Minibatches } from "../examples/mnist/data";
import { accuracy, lossAndGradient, meanLoss, PARAMETERS } from "../examples/mnist/model";
import type { TrainData } from "../examples/mnist/shard";
import type { Api } from "../examples/mnist/train";
import { ShardstepProblem, type LiveSession, type ShardConfigInput, type Shardstep } from "../sdk/client";
import { describe } from "./describe";

/** What every learner tab creates: a tab that finds the shard with another configuration stops. */
export const LEARNER_SHARD_CONFIG = {
  length: PARAMETERS,
  rule: "adam",
  hyper: { lr: 0.003 },
  init: { kind: "zeros" },
  // A gradient computed k updates ago is applied with lr / sqrt(1 + k); beyond 64 it is refused.
  staleness: { max: 64, policy: "scale", exponent: 0.5 },
} satisfies ShardConfigInput;

/** The minibatch loss of the push that produced shard version `version`. */
export interface LossPoint {
  version: number;
  loss: number;
}

/** Loss and accuracy on the held-out digits of the weights at shard version `version`. */
export interface HeldOut {
  version: number;
  loss: number;
  accuracy: number;
}

/**
 * idle: not started; training: the loop runs; pausing: asked to stop, a push may be in flight;
 * paused: the loop has ended; failed: stopped by `error`.
 */
export type Phase = "idle" | "training" | "pausing" | "paused" | "failed";

export interface LearnerState {
  shard: string;
  clientId: string;
  phase: Phase;
  /** Updates this tab applied to the shard. */
  pushes: number;
  /** The shard version of this tab's copy of the weights. */
  version: number;
  /** Updates of other clients between the last push's copy and its update. */
  staleness: number;
  /** Pushes the server refused as too stale (the tab then pulled the weights). */
  refusedStale: number;
  /** The shared shard's version as its notices tell it (every tab's pushes), when a live session is open. */
  liveVersion?: number;
  /** How the tab's live session talks to the shard: one WebSocket, or HTTP when it could not open. */
  transport?: "socket" | "http";
  losses: LossPoint[];
  heldOut: HeldOut[];
  error?: string;
}

/** What a push answers a trainer: the version it produced, and the weights at `weightsVersion`. */
export interface PushedWeights {
  version: number;
  weights: Float32Array;
  weightsVersion: number;
}

export interface PushArguments {
  baseVersion: number;
  idempotencyKey: string;
  sampleCount: number;
}

/** What a ShardTrainer works with: the shard, the digits, and how it draws its minibatches. */
export interface TrainerOptions {
  api: Api;
  shard: string;
  data: TrainData;
  /** The tab's id; also the prefix of its Idempotency-Keys. */
  clientId: string;
  /** Prefixes this trainer's Idempotency-Keys after the client id (another trainer of the same tab, another prefix). */
  keyPrefix?: string;
  batchSize: number;
  /** Seeds the tab's order of minibatches. */
  seed: number;
  /** Held-out evaluation after every this many pushes (Infinity: only when asked). */
  evaluateEvery: number;
}

/**
 * The mechanics of training one shard from a tab: its copy of the weights, a step (the gradient of a
 * minibatch, the push, the weights that come back), a pull, an evaluation on the held-out digits, and
 * the state they leave. The Learner loops it on one shard; a sweep worker (sweep-worker.ts) runs one
 * per trial.
 */
export class ShardTrainer {
  readonly state: LearnerState;
  private readonly batches: Minibatches;
  private weights: Float32Array = new Float32Array(0);
  private sent = 0;

  constructor(
    protected readonly options: TrainerOptions,
    protected readonly changed: (state: LearnerState) => void,
  ) {
    this.state = {
      shard: options.shard, clientId: options.clientId, phase: "idle",
      pushes: 0, version: 0, staleness: 0, refusedStale: 0, losses: [], heldOut: [],
    };
    this.batches = new Minibatches(options.data.train, options.batchSize, options.seed);
  }

  /** Adopts the shard's current weights. */
  async pull(): Promise<void> {
    const { values, version } = await this.options.api.getWeights(this.options.shard);
    this.weights = values;
    this.set({ version });
    if (this.state.heldOut.at(-1)?.version !== version) this.evaluate();
  }

  /** One push (or, when the server refused it as too stale, a pull); answers the minibatch loss of a push. */
  async step(): Promise<number | undefined> {
    const { clientId, keyPrefix = "", batchSize, evaluateEvery } = this.options;
    const baseVersion = this.state.version;
    const { loss, gradient } = lossAndGradient(this.weights, this.batches.next());
    // A gradient of weights that overflowed is no step: the caller decides (a sweep trial fails as diverged).
    if (!Number.isFinite(loss)) return loss;
    const key = `${clientId}-${keyPrefix}${this.sent++}`;
    let result;
    try {
      // No X-Client-Id: a push counts as the token's subject, and only a relay token may name another client (docs/auth.md).
      result = await this.push(gradient, { baseVersion, idempotencyKey: key, sampleCount: batchSize });
    } catch (error) {
      if (!(error instanceof ShardstepProblem && error.slug === "stale-gradient")) throw error;
      this.set({ refusedStale: this.state.refusedStale + 1 });
      await this.pull();
      return undefined;
    }
    this.weights = result.weights;
    this.state.losses.push({ version: result.version, loss });
    this.set({ pushes: this.state.pushes + 1, version: result.weightsVersion, staleness: result.version - 1 - baseVersion });
    if (this.state.pushes % evaluateEvery === 0) this.evaluate();
    return loss;
  }

  /** One push over HTTP. */
  protected push(gradient: Float32Array, options: PushArguments): Promise<PushedWeights> {
    return this.options.api.pushGradient(this.options.shard, gradient, options);
  }

  /** Loss and accuracy of the tab's copy of the weights on the held-out digits (recorded in the state). */
  evaluate(): HeldOut {
    const { test } = this.options.data;
    const point = { version: this.state.version, loss: meanLoss(this.weights, test), accuracy: accuracy(this.weights, test) };
    this.state.heldOut.push(point);
    this.changed(this.state);
    return point;
  }

  protected set(change: Partial<LearnerState>): void {
    Object.assign(this.state, change);
    this.changed(this.state);
  }
}

export interface LearnerOptions extends TrainerOptions {
  api: Api & Pick<Shardstep, "live">;
}

/**
 * One tab's training of the shared learner shard: joins it, opens a live session on it, pulls, and
 * pushes over the session until paused; the session's notices keep `liveVersion` current.
 */
export class Learner extends ShardTrainer {
  private loop: Promise<void> | undefined;
  private session: LiveSession | undefined;

  constructor(
    protected override readonly options: LearnerOptions,
    changed: (state: LearnerState) => void,
  ) {
    super(options, changed);
  }

  /** Starts (or resumes) the loop; a no-op while it runs. */
  start(): void {
    if (this.state.phase === "training") return;
    this.set({ phase: "training", error: undefined });
    this.loop ??= this.run().finally(() => (this.loop = undefined));
  }

  /** Ends the loop after the push in flight (phase "pausing", then "paused"). */
  pause(): void {
    if (this.state.phase === "training") this.set({ phase: "pausing" });
  }

  /** Pauses, and closes the live session: for a tab that trains something else now. */
  close(): void {
    this.pause();
    this.session?.close();
  }

  private async run(): Promise<void> {
    try {
      await this.join();
      this.session ??= await this.openSession();
      await this.pull();
      while (this.state.phase === "training") await this.step();
      this.set({ phase: "paused" });
    } catch (error) {
      this.set({ phase: "failed", error: describe(error) });
    }
  }

  /** Pushes over the live session; a resend the server answered from its ledger pulls the current weights. */
  protected override async push(gradient: Float32Array, options: PushArguments): Promise<PushedWeights> {
    const answer = await this.session!.push(gradient, { ...options, answer: "weights" });
    if (answer.replayed) {
      const { values, version } = await this.options.api.getWeights(this.options.shard);
      return { version: answer.version, weights: values, weightsVersion: version };
    }
    return { version: answer.version, weights: answer.values, weightsVersion: answer.version };
  }

  /** The live session, and its subscription to the shard's versions (read for as long as the tab lives). */
  private async openSession(): Promise<LiveSession> {
    const session = await this.options.api.live(this.options.shard, { onReconnect: ({ transport }) => this.set({ transport }) });
    this.set({ transport: session.transport, liveVersion: session.version });
    void (async () => {
      for await (const notice of session.subscribe({ notify: "version" })) {
        if (notice.version > (this.state.liveVersion ?? 0)) this.set({ liveVersion: notice.version });
      }
    })().catch((error: unknown) => this.set({ error: `live versions stopped: ${describe(error)}` }));
    return session;
  }

  private async join(): Promise<void> {
    try {
      await this.options.api.createShard(this.options.shard, LEARNER_SHARD_CONFIG);
    } catch (error) {
      // 403: the token lacks admin; the shard must exist already (else the pull answers 404).
      if (!(error instanceof ShardstepProblem && error.status === 403)) throw error;
    }
  }
}
