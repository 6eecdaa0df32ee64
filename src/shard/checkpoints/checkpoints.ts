import { refuse } from "../../problems";
import { describe, type Lifecycle } from "../lifecycle";
import type { Rounds } from "../rounds/rounds";
import { saveMeta } from "../store/meta";
import { WEIGHTS_SLOT } from "../store/resident";
import type { ShardStore } from "../store/store";
import { ensureChangedBy } from "../ownership";
import type { Checkpoint, CheckpointSelection, EnsembleRead, Range, ShardInfo, SnapshotRequest, SnapshotResult, VectorRead, Via } from "../types";
import { checkedRange } from "../vectors";
import {
  allCheckpoints,
  checkpointByKey,
  checkpointSlot,
  deleteCheckpoint,
  describeCheckpoint,
  ensureRoomForCheckpoint,
  findCheckpoint,
  restoreCheckpoint,
  selectCheckpoints,
  takeCheckpoint,
  type CheckpointRow,
} from "./checkpoint-store";
import { meanOfStored } from "./ensemble";

/** Checkpoints of the shard (docs/checkpoints.md): snapshots, restores, and ensembles of their weights. */
export class Checkpoints {
  constructor(
    private readonly store: ShardStore,
    private readonly lifecycle: Lifecycle,
    private readonly rounds: Rounds,
  ) {}

  /** Snapshots the shard; a retry with the request's Idempotency-Key answers the first checkpoint. */
  snapshot(req: SnapshotRequest): SnapshotResult {
    const { store } = this;
    const resident = store.existing();
    const key = req.idempotencyKey;
    const previous = key === undefined ? undefined : checkpointByKey(store.db, key);
    if (previous) {
      if (previous.label !== (req.label ?? null)) refuse("idempotency-key-reused", `Idempotency-Key '${key}' took checkpoint ${previous.id} with another label`);
      return { created: false, checkpoint: describeCheckpoint(previous) };
    }
    ensureRoomForCheckpoint(store.db);
    let row: CheckpointRow | undefined;
    store.commit(() => (row = takeCheckpoint(store.sql, store.db, resident, req.label, key, store.now())));
    return { created: true, checkpoint: describeCheckpoint(row!) };
  }

  list(): Checkpoint[] {
    this.store.existing();
    return allCheckpoints(this.store.db).map(describeCheckpoint);
  }

  get(id: number): Checkpoint {
    this.store.existing();
    return describeCheckpoint(findCheckpoint(this.store.db, id));
  }

  delete(id: number, via: Via): { deleted: true } {
    const { store } = this;
    const resident = store.existing();
    ensureChangedBy(resident.meta, via, "delete its checkpoints");
    findCheckpoint(store.db, id);
    store.commit(() => deleteCheckpoint(store.sql, store.db, resident, id));
    return { deleted: true };
  }

  /**
   * Restores a checkpoint as a new version (history is kept: later checkpoints stay restorable).
   * Refused while a round has pushes waiting: they were computed from the current weights.
   */
  restore(id: number, via: Via): ShardInfo {
    const { store } = this;
    const resident = store.existing();
    ensureChangedBy(resident.meta, via, "restore it");
    const row = findCheckpoint(store.db, id);
    this.rounds.ensureNoneWaiting(resident, "restore");
    const { meta } = resident;
    store.commit(() => {
      restoreCheckpoint(store.sql, resident, row, store.now());
      saveMeta(store.db, meta);
      this.lifecycle.record(meta, { restored_checkpoint: row.id, checkpoint_version: row.version, step: row.step, hyper: meta.config.hyper, schedule: meta.config.schedule });
    });
    // The resident vectors still hold the state before the restore: rebuild them from the pages.
    return describe(store.reload());
  }

  /** A checkpoint's weights over a range. */
  read(id: number, range: Range): VectorRead {
    return this.ensemble({ ids: [id] }, range);
  }

  /** The element-wise mean of the selected checkpoints' weights over a range. */
  ensemble(selection: CheckpointSelection, range: Range): EnsembleRead {
    const { store } = this;
    const { meta } = store.existing();
    const rows = selectCheckpoints(store.db, selection);
    const { offset, count } = checkedRange(range, meta.config.length);
    const slots = rows.map((r) => checkpointSlot(r.id, WEIGHTS_SLOT));
    const newest = rows[rows.length - 1]!;
    return {
      version: newest.version,
      revision: newest.revision,
      offset,
      bytes: meanOfStored(store.sql, slots, meta.config.page_floats, offset, count).buffer as ArrayBuffer,
      checkpoints: rows.map((r) => r.id),
    };
  }
}
