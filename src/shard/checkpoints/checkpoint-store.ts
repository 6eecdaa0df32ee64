import { asc, count, desc, eq } from "drizzle-orm";
import type { PlateauState } from "../../optim";
import { MAX_CHECKPOINTS } from "../../limits";
import { storedConfig } from "../../config";
import type { Db } from "../store/meta";
import { deletePages } from "../store/pages";
import { refuse } from "../../problems";
import { liveSlots, liveVectors, type Resident } from "../store/resident";
import { checkpoints } from "../store/schema";
import type { Checkpoint, CheckpointSelection } from "../types";

/**
 * Checkpoints: copies of the live pages under `ckpt:<id>:<slot>`, made and restored inside the
 * object's SQLite (no vector crosses into JavaScript), and a `checkpoints` row with the rest of the
 * state. Every function here runs inside the caller's transaction and writes nothing else.
 *
 * A shard's slots never change during its life (a live change that would add or remove optimizer
 * state is refused, and replacing the shard deletes its checkpoints), so the live slots name the
 * stored ones of every checkpoint.
 */

export type CheckpointRow = typeof checkpoints.$inferSelect;

export const checkpointSlot = (id: number, slot: string) => `ckpt:${id}:${slot}`;

function copySlot(sql: SqlStorage, from: string, to: string): void {
  deletePages(sql, to);
  sql.exec("INSERT INTO pages (slot, page, data) SELECT ?, page, data FROM pages WHERE slot = ?", to, from);
}

export function describeCheckpoint(row: CheckpointRow): Checkpoint {
  return {
    id: row.id,
    label: row.label,
    version: row.version,
    step: row.step,
    revision: row.revision,
    bytes: row.bytes,
    created_at: row.createdAt,
  };
}

/** Every checkpoint, oldest first. */
export function allCheckpoints(db: Db): CheckpointRow[] {
  return db.select().from(checkpoints).orderBy(asc(checkpoints.id)).all();
}

export function findCheckpoint(db: Db, id: number): CheckpointRow {
  return db.select().from(checkpoints).where(eq(checkpoints.id, id)).get() ?? refuse("not-found", `no checkpoint ${id} on this shard`, { checkpoint: id });
}

export function checkpointByKey(db: Db, key: string): CheckpointRow | undefined {
  return db.select().from(checkpoints).where(eq(checkpoints.requestKey, key)).get();
}

/** Refuses a new checkpoint when the shard keeps as many as it may. */
export function ensureRoomForCheckpoint(db: Db): void {
  const kept = db.select({ n: count() }).from(checkpoints).get()!.n;
  if (kept >= MAX_CHECKPOINTS) {
    refuse("too-many-checkpoints", `the shard keeps ${kept} checkpoints, the most it may; delete one first`, { limit: MAX_CHECKPOINTS });
  }
}

/** Snapshots the stored state of `resident` (which equals its pages: every change is committed). */
export function takeCheckpoint(sql: SqlStorage, db: Db, resident: Resident, label: string | undefined, key: string | undefined, now: number): CheckpointRow {
  const { meta } = resident;
  const slots = liveSlots(resident);
  const row = db
    .insert(checkpoints)
    .values({
      label: label ?? null,
      requestKey: key ?? null,
      version: meta.version,
      step: meta.step,
      revision: meta.revision,
      config: JSON.stringify(meta.config),
      scheduleOrigin: meta.scheduleOrigin,
      scalars: JSON.stringify(meta.scalars),
      plateau: meta.plateau === null ? null : JSON.stringify(meta.plateau),
      averageCounts: JSON.stringify(meta.averageCounts),
      bytes: 4 * liveVectors(resident).reduce((sum, [, v]) => sum + v.length, 0),
      createdAt: now,
    })
    .returning()
    .get();
  for (const slot of slots) copySlot(sql, slot, checkpointSlot(row.id, slot));
  return row;
}

export function deleteCheckpoint(sql: SqlStorage, db: Db, resident: Resident, id: number): void {
  db.delete(checkpoints).where(eq(checkpoints.id, id)).run();
  for (const slot of liveSlots(resident)) deletePages(sql, checkpointSlot(id, slot));
}

/**
 * Brings back the checkpoint's vectors, configuration, step, schedule origin, scalars, plateau and
 * average counts into storage and `resident.meta`; the version and revision go on by one. The
 * resident vectors are left stale: the caller rebuilds the resident shard from storage.
 */
export function restoreCheckpoint(sql: SqlStorage, resident: Resident, row: CheckpointRow, now: number): void {
  for (const slot of liveSlots(resident)) copySlot(sql, checkpointSlot(row.id, slot), slot);
  const { meta } = resident;
  meta.config = storedConfig(row.config);
  meta.step = row.step;
  meta.scheduleOrigin = row.scheduleOrigin;
  meta.scalars = JSON.parse(row.scalars) as Record<string, number>;
  meta.plateau = row.plateau === null ? null : (JSON.parse(row.plateau) as PlateauState);
  meta.averageCounts = JSON.parse(row.averageCounts) as Record<string, number>;
  meta.version += 1;
  meta.revision += 1;
  meta.updatedAt = now;
}

/** The checkpoints a selection names, in increasing order; refuses unknown ids and too few for `last`. */
export function selectCheckpoints(db: Db, selection: CheckpointSelection): CheckpointRow[] {
  const size = "last" in selection ? selection.last : new Set(selection.ids).size;
  if (!(size >= 1)) refuse("too-few-checkpoints", "an ensemble averages at least one checkpoint", { available: allCheckpoints(db).length });
  if ("last" in selection) {
    const rows = db.select().from(checkpoints).orderBy(desc(checkpoints.id)).limit(selection.last).all();
    if (rows.length < selection.last) {
      refuse("too-few-checkpoints", `the last ${selection.last} checkpoints were asked for; the shard has ${rows.length}`, { available: rows.length });
    }
    return rows.reverse();
  }
  const wanted = new Set(selection.ids);
  const rows = allCheckpoints(db).filter((r) => wanted.has(r.id));
  if (rows.length < wanted.size) {
    const missing = [...wanted].filter((id) => !rows.some((r) => r.id === id)).sort((a, b) => a - b);
    refuse("not-found", `no checkpoint ${missing.join(", ")} on this shard`, { missing });
  }
  return rows;
}
