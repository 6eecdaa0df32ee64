import { drizzle, type DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";

type Migrations = Parameters<typeof migrate>[1];

/**
 * A Durable Object's start: its drizzle-kit migrations, run inside `blockConcurrencyWhile` so no
 * request sees the tables before them. A failure is caught there (an exception would reset the
 * object) and answered to the request that waits for it; the next request tries again, so a
 * transient failure does not wedge the object. Shared by the shard and the catalog objects.
 */
export class Startup {
  private done = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly start: () => Promise<void>,
  ) {
    void this.ready().catch(() => undefined);
  }

  /** Resolves once the object has started; starts it again if the last attempt failed. */
  ready(): Promise<void> {
    if (this.done) return Promise.resolve();
    this.running ??= this.ctx
      .blockConcurrencyWhile(async () => {
        try {
          await this.start();
          this.done = true;
          return undefined;
        } catch (e) {
          return e ?? new Error("the object failed to start");
        }
      })
      .then((error) => {
        this.running = undefined;
        if (error !== undefined) throw error;
      });
    return this.running;
  }
}

/** The object's drizzle database and a Startup that applies its migrations. */
export function startWithMigrations(ctx: DurableObjectState, migrations: Migrations): { db: DrizzleSqliteDODatabase<Record<string, never>>; startup: Startup } {
  const db = drizzle(ctx.storage, { logger: false });
  return { db, startup: new Startup(ctx, () => migrate(db, migrations)) };
}
