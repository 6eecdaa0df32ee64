import { eq } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import type { PlateauState } from "../../optim";
import { storedConfig, type ShardConfig } from "../../config";
import { shard } from "./schema";
import { emptyStats, type ShardStats } from "../stats";

export type Db = DrizzleSqliteDODatabase<Record<string, never>>;

/** Everything about a shard but its vectors. */
export interface ShardMeta {
  name: string;
  config: ShardConfig;
  createdConfig: ShardConfig;
  /** Changes of the training state: updates, and restores of checkpoints. */
  version: number;
  /** Steps of the optimizer (bias correction, schedule, SWA start): version until a restore. */
  step: number;
  revision: number;
  /** The step at which the current schedule took effect. */
  scheduleOrigin: number;
  scalars: Record<string, number>;
  plateau: PlateauState | null;
  averageCounts: Record<string, number>;
  stats: ShardStats;
  /** Rounds mode: when the open round closes at the latest; null when no push is waiting. */
  roundDeadline: number | null;
  /** The model whose shard this is: changed only through the model. */
  model: string | null;
  createdAt: number;
  updatedAt: number;
}

const ROW_ID = 1;

export function loadMeta(db: Db): ShardMeta | null {
  const row = db.select().from(shard).where(eq(shard.id, ROW_ID)).get();
  if (!row) return null;
  return {
    name: row.name,
    config: storedConfig(row.config),
    createdConfig: storedConfig(row.createdConfig),
    version: row.version,
    step: row.step,
    revision: row.revision,
    scheduleOrigin: row.scheduleOrigin,
    scalars: JSON.parse(row.scalars) as Record<string, number>,
    plateau: row.plateau === null ? null : (JSON.parse(row.plateau) as PlateauState),
    averageCounts: JSON.parse(row.averageCounts) as Record<string, number>,
    stats: { ...emptyStats(), ...(JSON.parse(row.stats) as Partial<ShardStats>) },
    roundDeadline: row.roundDeadline,
    model: row.model,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function saveMeta(db: Db, meta: ShardMeta): void {
  const row = {
    id: ROW_ID,
    name: meta.name,
    config: JSON.stringify(meta.config),
    createdConfig: JSON.stringify(meta.createdConfig),
    version: meta.version,
    step: meta.step,
    revision: meta.revision,
    scheduleOrigin: meta.scheduleOrigin,
    scalars: JSON.stringify(meta.scalars),
    plateau: meta.plateau === null ? null : JSON.stringify(meta.plateau),
    averageCounts: JSON.stringify(meta.averageCounts),
    stats: JSON.stringify(meta.stats),
    roundDeadline: meta.roundDeadline,
    model: meta.model,
    createdAt: meta.createdAt,
    updatedAt: meta.updatedAt,
  };
  db.insert(shard).values(row).onConflictDoUpdate({ target: shard.id, set: row }).run();
}

/**
 * The hot path's write of the metadata: only what an update changes, in one fixed statement (the
 * full upsert through the query builder costs more than the update of a small shard itself).
 */
export function saveCounters(sql: SqlStorage, meta: ShardMeta): void {
  sql.exec(
    "UPDATE shard SET version = ?, step = ?, revision = ?, scalars = ?, plateau = ?, average_counts = ?, stats = ?, round_deadline = ?, updated_at = ? WHERE id = ?",
    meta.version,
    meta.step,
    meta.revision,
    JSON.stringify(meta.scalars),
    meta.plateau === null ? null : JSON.stringify(meta.plateau),
    JSON.stringify(meta.averageCounts),
    JSON.stringify(meta.stats),
    meta.roundDeadline,
    meta.updatedAt,
    ROW_ID,
  );
}
