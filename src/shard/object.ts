import { DurableObject } from "cloudflare:workers";
import migrations from "../../migrations/migrations.js";
import { answer } from "../durable/outcome";
import { releaseSoon } from "../release";
import { startWithMigrations, type Startup } from "../durable/startup";
import { Checkpoints } from "./checkpoints/checkpoints";
import { Lifecycle } from "./lifecycle";
import { Live } from "./live/live";
import { Metrics } from "./metrics";
import { gradientBytes } from "./pushes/gradient-bytes";
import { Pushes } from "./pushes/pushes";
import { streamedAnswer } from "./pushes/streamed";
import { Rounds } from "./rounds/rounds";
import { StateIO, type StateImportRequest } from "./state-io/state-io";
import { Status } from "./status";
import { kernelModule } from "./store/kernels";
import { ShardStore } from "./store/store";
import type {
  CheckpointSelection,
  CreateOptions,
  Outcome,
  PatchRequest,
  PushRequest,
  Range,
  SnapshotRequest,
  Via,
} from "./types";
import { Vectors } from "./vectors";


/**
 * One shard, one Durable Object: its RPC surface, composed of modules of one concept each over one
 * store. Each method answers an Outcome (a value, or a refusal with its reason).
 */
export class ShardObject extends DurableObject<Env> {
  protected readonly startup: Startup;
  private readonly store: ShardStore;
  private readonly lifecycle: Lifecycle;
  private readonly vectors: Vectors;
  private readonly pushes: Pushes;
  private readonly rounds: Rounds;
  private readonly checkpointing: Checkpoints;
  private readonly metrics: Metrics;
  private readonly reporting: Status;
  private readonly stateIO: StateIO;
  private readonly live: Live;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const { db, startup } = startWithMigrations(ctx, migrations);
    this.startup = startup;
    const store = (this.store = new ShardStore(ctx.storage, db, kernelModule));
    this.lifecycle = new Lifecycle(store);
    this.vectors = new Vectors(store);
    this.rounds = new Rounds(store);
    this.pushes = new Pushes(store, this.vectors, this.rounds);
    this.checkpointing = new Checkpoints(store, this.lifecycle, this.rounds);
    this.metrics = new Metrics(store);
    this.reporting = new Status(store, this.rounds);
    this.stateIO = new StateIO(store, this.pushes.ledger, this.rounds, () => this.pushes.drained());
    this.live = new Live(ctx, store, this.pushes, this.vectors);
  }

  /** A live session (docs/live.md): the upgrade the edge authenticated, with the session in an internal header. */
  override async fetch(request: Request): Promise<Response> {
    await this.startup.ready();
    return this.store.use(async () => {
      await this.pushes.drained();
      return this.live.accept(request);
    });
  }

  /** A frame of a live session; the object may have hibernated since the last one (the socket's attachment holds the session). */
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    await this.startup.ready();
    await this.store.use(() => this.live.message(ws, message));
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    this.live.closed(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.live.closed(ws);
  }

  /** Runs an operation once the object has started and every applied push is durable (pushes are written in groups). */
  private async run<T>(f: () => T | Promise<T>): Promise<Outcome<T>> {
    await this.startup.ready();
    return this.store.use(() =>
      answer(async () => {
        await this.pushes.drained();
        return f();
      }),
    );
  }

  info() {
    return this.run(() => this.lifecycle.info());
  }

  /** Creates (or replaces) the shard; a model passes its name (the owner) and its tensors' initial draws. */
  create(name: string, config: unknown, replace: boolean, options?: CreateOptions) {
    return this.run(() => this.lifecycle.create(name, config, replace, options));
  }

  patch(req: PatchRequest, via?: Via) {
    return this.run(() => this.lifecycle.patch(req, via));
  }

  history() {
    return this.run(() => this.lifecycle.history());
  }

  destroy(via?: Via) {
    return this.run(() => this.lifecycle.destroy(via));
  }

  read(range: Range, average?: string) {
    return this.run(() => this.vectors.read(range, average));
  }

  /** Where the next gradient is to be taken, over a range (the weights for most rules). */
  readPoint(range: Range) {
    return this.run(() => this.vectors.point(range));
  }

  upload(bytes: ArrayBuffer, offset: number, ifMatch?: number, via?: Via) {
    return this.run(() => this.vectors.upload(bytes, offset, ifMatch, via));
  }

  /** A push joins the open group of pushes rather than waiting for it. Its gradient's copy is freed once it is done with. */
  async push(req: PushRequest) {
    await this.startup.ready();
    try {
      const outcome = await this.store.use(() => answer(() => this.pushes.push(req)));
      return outcome.ok && req.streamAnswer ? { ...outcome, value: streamedAnswer(outcome.value) } : outcome;
    } finally {
      void releaseSoon(gradientBytes(req).buffer);
    }
  }

  status() {
    return this.run(() => this.reporting.status());
  }

  /** Long poll of the weights: answers the revision once it differs from `seen`, or after `ms`. */
  awaitRevision(seen: number, ms: number) {
    return this.run(() => this.vectors.awaitRevision(seen, ms));
  }

  /**
   * Closes a rounds-mode shard's round at its deadline (alarms come at least once: closing is
   * idempotent) and writes the state pages of the gradient log (docs/gradient-log.md).
   */
  override async alarm(): Promise<void> {
    await this.startup.ready();
    await this.store.use(async () => {
      await this.pushes.drained();
      await this.rounds.alarm();
      this.store.materializeLog();
    });
  }

  metric(value: number, clientId?: string) {
    return this.run(() => this.metrics.report(value, clientId));
  }

  snapshot(req: SnapshotRequest) {
    return this.run(() => this.checkpointing.snapshot(req));
  }

  checkpoints() {
    return this.run(() => this.checkpointing.list());
  }

  checkpoint(id: number) {
    return this.run(() => this.checkpointing.get(id));
  }

  readCheckpoint(id: number, range: Range) {
    return this.run(() => this.checkpointing.read(id, range));
  }

  deleteCheckpoint(id: number, via?: Via) {
    return this.run(() => this.checkpointing.delete(id, via));
  }

  /** Restores a checkpoint as a new version; answers the shard after it. */
  restore(id: number, via?: Via) {
    return this.run(() => this.checkpointing.restore(id, via));
  }

  /** The optimizer state as a safetensors stream (docs/state.md): larger than one RPC answer may be. */
  exportState() {
    return this.run(() => this.stateIO.export());
  }

  /** Imports a state file streamed from the edge as one new version. */
  importState(body: ReadableStream<Uint8Array>, req: StateImportRequest, via?: Via) {
    return this.run(() => this.stateIO.import(body, req, via));
  }

  /** The mean of the selected checkpoints' weights over a range. */
  ensemble(selection: CheckpointSelection, range: Range) {
    return this.run(() => this.checkpointing.ensemble(selection, range));
  }
}
