import { refuse } from "../../problems";
import { LOG_MATERIALIZE_AFTER_MS, LOG_RING_IDLE_MS } from "../../limits";
import { freeRing, materialize, replayLog } from "./gradient-log";
import { loadMeta, type Db, type ShardMeta } from "./meta";
import type { InitPiece } from "../types";
import { initialResident, loadResident, type Resident } from "./resident";
import { admit, release, touch, type Tenant } from "./residency";

const ALL_TABLES = ["pages", "gradient_log", "round_pushes", "ledger", "config_history", "metrics", "checkpoints", "shard"];

/**
 * A shard's storage and its resident cache. Every change is applied to the cache first and written
 * with `commit` in one `transactionSync`: if the write throws, the cache is dropped (rebuilt from
 * storage on the next request), so callers never roll back by hand. Requests that wait for a change
 * (long polls) are checked after every commit.
 *
 * Steps of a logging shard commit their gradients, not the state pages (gradient-log.ts): a load
 * replays the log, and every other change writes the state pages first, in its own transaction
 * (`commit`), unless it keeps the log (`commit(write, "keep")`).
 */
export class ShardStore {
  /** undefined: not loaded yet (or evicted); null: no shard here. */
  private cached: Resident | null | undefined;
  /** The cached resident as the isolate's memory budget counts it (residency.ts). */
  private tenant: Tenant | undefined;
  /** Requests under way: a shard is evicted only when none is. */
  private active = 0;
  private readonly waiters = new Set<() => void>();
  /** Whether an alarm is set that will materialize the gradient log. */
  private logAlarm = false;
  /** Runs when the shard is loaded from storage (the rounds module re-arms a lost alarm). */
  onLoad: (meta: ShardMeta) => void = () => undefined;
  /** Runs after every commit (live sessions tell their subscribers: src/shard/live). */
  onCommit: () => void = () => undefined;
  /** Runs once the shard is deleted (live sessions close their sockets). */
  onDelete: () => void = () => undefined;

  constructor(
    readonly storage: DurableObjectStorage,
    readonly db: Db,
    private readonly kernels: WebAssembly.Module,
    readonly now: () => number = Date.now,
  ) {}

  get sql(): SqlStorage {
    return this.storage.sql;
  }

  /** The resident shard, loaded from storage when needed; null when there is none. */
  resident(): Resident | null {
    if (this.cached === undefined) {
      const meta = loadMeta(this.db);
      const resident = meta === null ? null : loadResident(this.sql, meta, this.kernels);
      if (resident) resident.log = replayLog(this.sql, resident);
      this.hold(resident);
      if (meta) this.onLoad(meta);
      this.armLogAlarm();
    } else if (this.tenant) {
      touch(this.tenant);
    }
    return this.cached ?? null;
  }

  /** The resident shard, or a not-found refusal. */
  existing(): Resident {
    return this.resident() ?? refuse("not-found", "no such shard; PUT /v1/shards/{name} creates it");
  }

  /** A new shard's resident state (initial weights, drawn per piece when given), not yet stored. */
  fresh(meta: ShardMeta, pieces?: readonly InitPiece[]): Resident {
    return initialResident(meta, this.kernels, pieces);
  }

  /**
   * Runs `write` in one transaction; on failure the cache is forgotten, since its changes did not
   * land. The gradient log is materialized first in the same transaction, so that the change sees
   * and leaves whole state pages; steps, and changes that neither read nor write the state pages
   * nor anything a replay depends on, keep it (`"keep"`).
   */
  commit(write: () => void, log: "materialize" | "keep" = "materialize"): void {
    try {
      this.storage.transactionSync(() => {
        const resident = log === "materialize" ? this.resident() : null;
        if (resident && resident.log.steps > 0) materialize(this.sql, resident);
        write();
      });
    } catch (e) {
      this.hold(undefined);
      throw e;
    }
    this.armLogAlarm();
    for (const check of [...this.waiters]) check();
    this.onCommit();
  }

  /**
   * The object's alarm: writes the state pages of the logged steps, and frees the log's ring once
   * the shard has been idle for LOG_RING_IDLE_MS (else the alarm comes again: armLogAlarm).
   */
  materializeLog(): void {
    this.logAlarm = false;
    const resident = this.resident();
    if (!resident) return;
    const idle = resident.log.ring && this.now() - resident.meta.updatedAt >= LOG_RING_IDLE_MS;
    if (resident.log.steps > 0 || idle) this.commit(() => (idle ? freeRing(this.sql, resident) : undefined));
    else this.armLogAlarm();
  }

  /**
   * Sets the object's one alarm for `at` unless it is set earlier already (rounds' deadlines and the
   * log's materialization share it: each alarm does both). An alarm in the past is the one running.
   */
  async armAlarm(at: number): Promise<void> {
    const current = await this.storage.getAlarm();
    if (current === null || current > at || current <= this.now()) await this.storage.setAlarm(at);
  }

  /** Once the log holds a step, or its ring pages, an alarm materializes it within LOG_MATERIALIZE_AFTER_MS (and frees the ring once idle). */
  private armLogAlarm(): void {
    const log = this.cached?.log;
    if (this.logAlarm || !log || (log.steps === 0 && !log.ring)) return;
    this.logAlarm = true;
    this.armAlarm(this.now() + LOG_MATERIALIZE_AFTER_MS).catch(() => (this.logAlarm = false));
  }

  /** After a commit: the resident shard is now `resident` (created, or null once deleted). */
  keep(resident: Resident | null): void {
    this.hold(resident);
    if (resident === null) this.onDelete();
  }

  /** After a commit that the resident vectors do not reflect (a restore): reload from storage. */
  reload(): Resident {
    this.hold(undefined);
    return this.existing();
  }

  /** Runs a request: while any is under way, the shard is not evicted. */
  async use<T>(f: () => Promise<T>): Promise<T> {
    this.active += 1;
    try {
      return await f();
    } finally {
      this.active -= 1;
    }
  }

  /** Caches `resident`, counting it in the isolate's budget in place of the one before. */
  private hold(resident: Resident | null | undefined): void {
    if (this.tenant) release(this.tenant);
    this.tenant = undefined;
    this.cached = resident;
    if (!resident) return;
    const tenant: Tenant = {
      bytes: resident.engine.bytes,
      idle: () => this.active === 0,
      evict: () => {
        if (this.tenant !== tenant) return;
        this.tenant = undefined;
        this.cached = undefined;
      },
    };
    this.tenant = tenant;
    admit(tenant);
  }

  /** Whether `resident` is still the one in memory (nothing reloaded it since). */
  holds(resident: Resident): boolean {
    return this.cached === resident;
  }

  /** Deletes everything the shard stored; inside a commit. */
  clear(): void {
    for (const table of ALL_TABLES) this.sql.exec(`DELETE FROM ${table}`);
  }

  /** Resolves when `done()` holds after a commit, or after `ms` (whichever comes first). */
  waitUntil(done: () => boolean, ms: number): Promise<void> {
    if (ms <= 0 || done()) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const check = () => {
        if (done()) finish();
      };
      const timer = setTimeout(finish, ms);
      this.waiters.add(check);
    });
  }
}
