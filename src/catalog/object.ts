import { DurableObject } from "cloudflare:workers";
import { and, asc, eq, sql, type Column } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import migrations from "../../migrations/catalog/migrations.js";
import { startWithMigrations, type Startup } from "../durable/startup";
import { modelCheckpoints, models, shards, sweeps } from "./schema";

export interface CatalogModel {
  name: string;
  manifest: string;
  layout: string;
  parameters: number;
  created_at: string;
}

export interface ModelCheckpoint {
  id: number;
  label: string | null;
  /** Shard name → that shard's checkpoint id. */
  shards: Record<string, number>;
  /** Shard name → its version when snapshotted. */
  versions: Record<string, number>;
  created_at: string;
}

export interface ModelSummary {
  name: string;
  parameters: number;
  created_at: string;
}

/** Names starting with `prefix`, exactly (LIKE would ignore case and need escapes). */
const startsWith = (column: Column, prefix: string) => sql`substr(${column}, 1, ${prefix.length}) = ${prefix}`;

/**
 * The catalog of models and shards: one Durable Object (named "catalog") with its own SQLite and
 * drizzle-kit migrations (migrations/catalog). Listings come from here, since Durable Objects
 * cannot be enumerated. Every method is idempotent, so the edge can repeat a registration that
 * may not have landed.
 */
export class CatalogObject extends DurableObject<Env> {
  private readonly db: DrizzleSqliteDODatabase<Record<string, never>>;
  private readonly startup: Startup;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ({ db: this.db, startup: this.startup } = startWithMigrations(ctx, migrations));
  }

  /** Records a model; answers the one already recorded under this name, if any (the edge compares manifests). */
  async registerModel(model: Omit<CatalogModel, "created_at">): Promise<{ created: boolean; model: CatalogModel }> {
    await this.startup.ready();
    const existing = await this.model(model.name);
    if (existing) return { created: false, model: existing };
    const now = Date.now();
    this.db.insert(models).values({ ...model, createdAt: now }).run();
    return { created: true, model: { ...model, created_at: new Date(now).toISOString() } };
  }

  async model(name: string): Promise<CatalogModel | null> {
    await this.startup.ready();
    const row = this.db.select().from(models).where(eq(models.name, name)).get();
    return row ? { name: row.name, manifest: row.manifest, layout: row.layout, parameters: row.parameters, created_at: new Date(row.createdAt).toISOString() } : null;
  }

  async models(prefix: string): Promise<ModelSummary[]> {
    await this.startup.ready();
    return this.db
      .select({ name: models.name, parameters: models.parameters, createdAt: models.createdAt })
      .from(models)
      .where(startsWith(models.name, prefix))
      .orderBy(asc(models.name))
      .all()
      .map((r) => ({ name: r.name, parameters: r.parameters, created_at: new Date(r.createdAt).toISOString() }));
  }

  async forgetModel(name: string): Promise<void> {
    await this.startup.ready();
    this.ctx.storage.transactionSync(() => {
      this.db.delete(modelCheckpoints).where(eq(modelCheckpoints.model, name)).run();
      this.db.delete(shards).where(eq(shards.model, name)).run();
      this.db.delete(models).where(eq(models.name, name)).run();
    });
  }

  async registerShards(names: string[], model: string | null): Promise<void> {
    await this.startup.ready();
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      for (const name of names) this.db.insert(shards).values({ name, model, createdAt: now }).onConflictDoNothing().run();
    });
  }

  async forgetShard(name: string): Promise<void> {
    await this.startup.ready();
    this.db.delete(shards).where(eq(shards.name, name)).run();
  }

  async shards(prefix: string, model?: string): Promise<{ name: string; model: string | null; created_at: string }[]> {
    await this.startup.ready();
    const byPrefix = startsWith(shards.name, prefix);
    return this.db
      .select()
      .from(shards)
      .where(model === undefined ? byPrefix : and(byPrefix, eq(shards.model, model)))
      .orderBy(asc(shards.name))
      .all()
      .map((r) => ({ name: r.name, model: r.model, created_at: new Date(r.createdAt).toISOString() }));
  }

  /** Records a model checkpoint; the same shard checkpoints again (a retry) answer the one recorded, not created. */
  async recordCheckpoint(
    model: string,
    label: string | null,
    shardCheckpoints: Record<string, number>,
    versions: Record<string, number>,
  ): Promise<{ checkpoint: ModelCheckpoint; created: boolean }> {
    await this.startup.ready();
    const same = this.db
      .select()
      .from(modelCheckpoints)
      .where(and(eq(modelCheckpoints.model, model), eq(modelCheckpoints.shardCheckpoints, JSON.stringify(shardCheckpoints))))
      .get();
    if (same) return { checkpoint: checkpointOf(same), created: false };
    const now = Date.now();
    const row = this.db
      .insert(modelCheckpoints)
      .values({ model, label, shardCheckpoints: JSON.stringify(shardCheckpoints), versions: JSON.stringify(versions), createdAt: now })
      .returning()
      .get();
    return { checkpoint: checkpointOf(row), created: true };
  }

  async checkpoints(model: string): Promise<ModelCheckpoint[]> {
    await this.startup.ready();
    return this.db.select().from(modelCheckpoints).where(eq(modelCheckpoints.model, model)).orderBy(asc(modelCheckpoints.id)).all().map(checkpointOf);
  }

  async forgetCheckpoint(model: string, id: number): Promise<void> {
    await this.startup.ready();
    this.db.delete(modelCheckpoints).where(and(eq(modelCheckpoints.model, model), eq(modelCheckpoints.id, id))).run();
  }

  async registerSweep(name: string): Promise<void> {
    await this.startup.ready();
    this.db.insert(sweeps).values({ name, createdAt: Date.now() }).onConflictDoNothing().run();
  }

  async forgetSweep(name: string): Promise<void> {
    await this.startup.ready();
    this.db.delete(sweeps).where(eq(sweeps.name, name)).run();
  }

  async sweeps(prefix: string): Promise<{ name: string; created_at: string }[]> {
    await this.startup.ready();
    return this.db
      .select()
      .from(sweeps)
      .where(startsWith(sweeps.name, prefix))
      .orderBy(asc(sweeps.name))
      .all()
      .map((r) => ({ name: r.name, created_at: new Date(r.createdAt).toISOString() }));
  }
}

function checkpointOf(row: typeof modelCheckpoints.$inferSelect): ModelCheckpoint {
  return {
    id: row.id,
    label: row.label,
    shards: JSON.parse(row.shardCheckpoints) as Record<string, number>,
    versions: JSON.parse(row.versions) as Record<string, number>,
    created_at: new Date(row.createdAt).toISOString(),
  };
}
