import { planOf, type SweepConfig } from "../config/sweep";
import { refuse } from "../problems";
import type { SearchPlan } from "../sweeps/algorithm";
import { asks, reports, sweep, trials } from "./schema";
import { TrialTable, type Db } from "./trials";

export interface LoadedSweep {
  name: string;
  config: SweepConfig;
  plan: SearchPlan;
  createdAt: number;
}

/** One sweep's storage: its configuration row, its trial table, and one transaction for a change. */
export class SweepStore {
  readonly trials: TrialTable;
  private loaded: LoadedSweep | null | undefined;

  constructor(
    readonly storage: DurableObjectStorage,
    readonly db: Db,
    readonly now: () => number = Date.now,
  ) {
    this.trials = new TrialTable(db);
  }

  /** The sweep, or null when none was created. */
  current(): LoadedSweep | null {
    if (this.loaded === undefined) {
      const row = this.db.select().from(sweep).get();
      this.loaded = row ? { name: row.name, config: JSON.parse(row.config), plan: planOf(JSON.parse(row.config)), createdAt: row.createdAt } : null;
    }
    return this.loaded;
  }

  existing(): LoadedSweep {
    return this.current() ?? refuse("not-found", "no such sweep; create it with PUT /v1/sweeps/{sweep} and a search space");
  }

  /** Runs `f` in one transaction; the cached sweep is dropped if it throws. */
  commit<T>(f: () => T): T {
    try {
      return this.storage.transactionSync(f);
    } catch (e) {
      this.loaded = undefined;
      throw e;
    }
  }

  save(name: string, config: SweepConfig, createdAt: number): void {
    this.db.insert(sweep).values({ name, config: JSON.stringify(config), createdAt }).run();
    this.loaded = { name, config, plan: planOf(config), createdAt };
  }

  /** Deletes the sweep, its trials, their reports and the lease requests (the tables stay, for a sweep of the same name). */
  forget(): void {
    for (const table of [asks, reports, trials, sweep]) this.db.delete(table).run();
    this.loaded = null;
  }
}
