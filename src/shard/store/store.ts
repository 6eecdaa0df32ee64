import { refuse } from "../../problems";
import { loadMeta, type Db, type ShardMeta } from "./meta";
import { initialResident, loadResident, type Resident } from "./resident";

const ALL_TABLES = ["pages", "round_pushes", "idempotency", "config_history", "metrics", "checkpoints", "shard"];

/**
 * A shard's storage and its resident cache. Every change is applied to the cache first and written
 * with `commit` in one `transactionSync`: if the write throws, the cache is dropped (rebuilt from
 * storage on the next request), so callers never roll back by hand. Requests that wait for a change
 * (long polls) are checked after every commit.
 */
export class ShardStore {
  /** undefined: not loaded yet; null: no shard here. */
  private cached: Resident | null | undefined;
  private readonly waiters = new Set<() => void>();
  /** Runs when the shard is loaded from storage (the rounds module re-arms a lost alarm). */
  onLoad: (meta: ShardMeta) => void = () => undefined;

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
      this.cached = meta === null ? null : loadResident(this.sql, meta, this.kernels);
      if (meta) this.onLoad(meta);
    }
    return this.cached;
  }

  /** The resident shard, or a not-found refusal. */
  existing(): Resident {
    return this.resident() ?? refuse("not-found", "no such shard");
  }

  /** A new shard's resident state (initial weights), not yet stored. */
  fresh(meta: ShardMeta): Resident {
    return initialResident(meta, this.kernels);
  }

  /** Runs `write` in one transaction; on failure the cache is forgotten, since its changes did not land. */
  commit(write: () => void): void {
    try {
      this.storage.transactionSync(write);
    } catch (e) {
      this.cached = undefined;
      throw e;
    }
    for (const check of [...this.waiters]) check();
  }

  /** After a commit: the resident shard is now `resident` (created, or null once deleted). */
  keep(resident: Resident | null): void {
    this.cached = resident;
  }

  /** After a commit that the resident vectors do not reflect (a restore, a new kernel plan): reload from storage. */
  reload(): Resident {
    this.cached = undefined;
    return this.existing();
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
