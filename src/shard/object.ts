import { DurableObject } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import migrations from "../../migrations/migrations.js";
import { writeFloor } from "./floor";
import { kernelModule } from "./kernels";
import { ShardService } from "./service";
import type {
  Checkpoint,
  CheckpointSelection,
  EnsembleRead,
  MetricResult,
  Outcome,
  PatchRequest,
  PushRequest,
  PushResult,
  Range,
  ShardInfo,
  ShardStatus,
  SnapshotRequest,
  SnapshotResult,
  VectorRead,
  VectorVersion,
} from "./types";

/**
 * One shard, one Durable Object. The class is only the RPC surface: each method answers an
 * Outcome (a value, or a refusal with its reason) and delegates to ShardService.
 */
export class ShardObject extends DurableObject<Env> {
  private readonly service: ShardService;
  private startError: unknown;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const db = drizzle(ctx.storage, { logger: false });
    this.service = new ShardService(ctx.storage, db, kernelModule);
    // A failed migration must not wedge the object: remember it, answer it, retry on next start.
    void ctx.blockConcurrencyWhile(async () => {
      try {
        await migrate(db, migrations);
      } catch (e) {
        this.startError = e;
      }
    });
  }

  /** Runs an operation once every applied push is durable (pushes are written in groups). */
  private run<T>(f: (s: ShardService) => T | Promise<T>): Promise<Outcome<T>> {
    if (this.startError) throw this.startError;
    return ShardService.answer(async () => {
      await this.service.settled();
      return f(this.service);
    });
  }

  info(): Promise<Outcome<ShardInfo>> {
    return this.run((s) => s.info());
  }

  create(name: string, config: unknown, replace: boolean): Promise<Outcome<{ created: boolean; info: ShardInfo }>> {
    return this.run((s) => s.create(name, config, replace));
  }

  patch(req: PatchRequest): Promise<Outcome<ShardInfo>> {
    return this.run((s) => s.patch(req));
  }

  history(): Promise<Outcome<{ version: number; change: unknown; at: string }[]>> {
    return this.run((s) => s.history());
  }

  destroy(): Promise<Outcome<{ deleted: true }>> {
    return this.run((s) => s.destroy());
  }

  read(range: Range, average?: string): Promise<Outcome<VectorRead>> {
    return this.run((s) => s.read(range, average));
  }

  upload(bytes: ArrayBuffer, offset: number, ifMatch?: number): Promise<Outcome<VectorVersion>> {
    return this.run((s) => s.upload(bytes, offset, ifMatch));
  }

  /** A push joins the open group of pushes rather than waiting for it. */
  push(req: PushRequest): Promise<Outcome<PushResult>> {
    if (this.startError) throw this.startError;
    return ShardService.answer(() => this.service.push(req));
  }

  status(): Promise<Outcome<ShardStatus>> {
    return this.run((s) => s.status());
  }

  /** Long poll of the weights: answers the revision once it differs from `seen`, or after `ms`. */
  awaitRevision(seen: number, ms: number): Promise<Outcome<number>> {
    return this.run((s) => s.awaitRevision(seen, ms));
  }

  /** Closes a rounds-mode shard's round at its deadline (alarms come at least once: closing is idempotent). */
  override async alarm(): Promise<void> {
    if (this.startError) throw this.startError;
    await this.service.settled();
    await this.service.alarm();
  }

  metric(value: number, clientId?: string): Promise<Outcome<MetricResult>> {
    return this.run((s) => s.metric(value, clientId));
  }

  snapshot(req: SnapshotRequest): Promise<Outcome<SnapshotResult>> {
    return this.run((s) => s.snapshot(req));
  }

  checkpoints(): Promise<Outcome<Checkpoint[]>> {
    return this.run((s) => s.checkpoints());
  }

  checkpoint(id: number): Promise<Outcome<Checkpoint>> {
    return this.run((s) => s.checkpoint(id));
  }

  readCheckpoint(id: number, range: Range): Promise<Outcome<VectorRead>> {
    return this.run((s) => s.readCheckpoint(id, range));
  }

  deleteCheckpoint(id: number): Promise<Outcome<{ deleted: true }>> {
    return this.run((s) => s.deleteCheckpoint(id));
  }

  /** Restores a checkpoint as a new version; answers the shard after it. */
  restore(id: number): Promise<Outcome<ShardInfo>> {
    return this.run((s) => s.restore(id));
  }

  /** The mean of the selected checkpoints' weights over a range. */
  ensemble(selection: CheckpointSelection, range: Range): Promise<Outcome<EnsembleRead>> {
    return this.run((s) => s.ensemble(selection, range));
  }

  /**
   * The benchmark floor (src/shard/floor.ts): writes `pages` pages of the bytes in one transaction and
   * answers them. Only when the Worker var BENCH_FLOOR is "on" (bench/e2e.ts).
   */
  floor(bytes: ArrayBuffer, pages: number, pageFloats: number): ArrayBuffer {
    if (this.env.BENCH_FLOOR !== "on") throw new Error("the benchmark floor is off (BENCH_FLOOR)");
    if (this.startError) throw this.startError;
    return writeFloor(this.ctx.storage, bytes, pages, pageFloats);
  }
}
