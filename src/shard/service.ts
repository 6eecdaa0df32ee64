import { firstNonFinite, getRule, observeMetric, resolveSchedule } from "../optim";
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
} from "./checkpoints";
import { resolveShardConfig, resolving, sameConfig, type ShardConfig } from "./config";
import { meanOfStored } from "./ensemble";
import { GroupCommit } from "./group-commit";
import { Ledger, pushFingerprint, type LedgerRecord } from "./ledger";
import type { Db, ShardMeta } from "./meta";
import { loadMeta, saveCounters, saveMeta } from "./meta";
import { applyPush, floatCount } from "./push";
import { admit, close, openRound, receiptOf, roundsOf, store } from "./rounds";
import { emptyStats } from "./stats";
import { RateLimiter } from "./rate";
import { refuse, RefusalError } from "./refusal";
import {
  initialPlateau,
  initialResident,
  loadResident,
  nextLearningRate,
  WEIGHTS_SLOT,
  writeResident,
  writeUpdated,
  type Resident,
} from "./resident";
import type {
  Checkpoint,
  CheckpointSelection,
  EnsembleRead,
  MetricResult,
  Outcome,
  PatchRequest,
  PushRequest,
  PushResult,
  PushSummary,
  Range,
  ShardInfo,
  ShardStatus,
  SnapshotRequest,
  SnapshotResult,
  VectorRead,
  VectorVersion,
} from "./types";

/** An async push applied to the resident shard, waiting for its group to be written. */
interface PendingPush {
  resident: Resident;
  summary: PushSummary;
  /** Its ledger record, when it came with an Idempotency-Key. */
  record?: LedgerRecord;
}

const ALL_TABLES = ["pages", "round_pushes", "idempotency", "config_history", "metrics", "checkpoints", "shard"];

/** A fresh 32-bit seed for noise when none is configured (unpredictable, so never replayable). */
const freshSeed = (): number => crypto.getRandomValues(new Uint32Array(1))[0]!;

/**
 * Everything a shard does, over its object's SQLite storage and a resident cache. Every change is
 * applied to the cache and written in one `transactionSync`: if the write throws, the cache is
 * dropped (it is rebuilt from storage on the next request) and nothing is acknowledged.
 */
export class ShardService {
  /** undefined: not loaded yet; null: no shard here. */
  private cached: Resident | null | undefined;
  private readonly rates = new RateLimiter();
  /** Checks of requests waiting for a change (long polls), run after every commit. */
  private readonly waiters = new Set<() => void>();
  /** Async pushes are written in groups (src/shard/group-commit.ts). */
  private readonly pushes = new GroupCommit<PendingPush>((entries) => this.writePushes(entries));
  private readonly ledger: Ledger;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly db: Db,
    private readonly kernels: WebAssembly.Module,
    private readonly now: () => number = Date.now,
  ) {
    this.ledger = new Ledger(storage.sql);
  }

  private get sql(): SqlStorage {
    return this.storage.sql;
  }

  private resident(): Resident | null {
    if (this.cached === undefined) {
      const meta = loadMeta(this.db);
      this.cached = meta === null ? null : loadResident(this.sql, meta, this.kernels);
      // An open round whose alarm was lost (a crash between the commit and setAlarm) gets it back.
      const deadline = meta?.roundDeadline ?? null;
      if (deadline !== null) void this.storage.getAlarm().then((at) => (at === null ? this.storage.setAlarm(deadline) : undefined));
    }
    return this.cached;
  }

  private existing(): Resident {
    return this.resident() ?? refuse("not-found", "no such shard");
  }

  /**
   * Runs `write` in one transaction. On failure the cache is forgotten (its changes did not land)
   * and rebuilt from storage on the next request, so callers mutate it first and never roll back.
   */
  private commit(write: () => void): void {
    try {
      this.storage.transactionSync(write);
    } catch (e) {
      this.cached = undefined;
      throw e;
    }
    for (const check of [...this.waiters]) check();
  }

  /** Resolves once every applied push is durable: whatever reads or changes state waits for it first. */
  settled(): Promise<void> {
    return this.pushes.settled();
  }

  /** Resolves when `done()` holds after a commit, or after `ms` (whichever comes first). */
  private waitUntil(done: () => boolean, ms: number): Promise<void> {
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

  private currentVersion(): number {
    return this.resident()?.meta.version ?? -1;
  }

  private clear(): void {
    for (const table of ALL_TABLES) this.sql.exec(`DELETE FROM ${table}`);
  }

  /** Runs an operation, answering refusals as values. Anything else is a failure and propagates. */
  static async answer<T>(f: () => T | Promise<T>): Promise<Outcome<T>> {
    try {
      return { ok: true, value: await f() };
    } catch (e) {
      if (e instanceof RefusalError) return { ok: false, refusal: e.toRefusal() };
      throw e;
    }
  }

  info(): ShardInfo {
    return describe(this.existing());
  }

  create(name: string, input: unknown, replace: boolean): { created: boolean; info: ShardInfo } {
    const config = resolveShardConfig(input);
    const current = this.resident();
    if (current) {
      if (sameConfig(current.meta.createdConfig, config) && !replace) return { created: false, info: describe(current) };
      if (!replace) {
        refuse("config-conflict", `shard '${current.meta.name}' exists with another configuration; send replace=true to replace it`, { version: current.meta.version });
      }
    }
    const now = this.now();
    const meta: ShardMeta = {
      name,
      config,
      createdConfig: config,
      version: 0,
      step: 0,
      revision: 0,
      scheduleOrigin: 0,
      scalars: {},
      plateau: initialPlateau(config),
      averageCounts: Object.fromEntries(Object.keys(config.averages).map((a) => [a, 0])),
      stats: emptyStats(),
      roundDeadline: null,
      createdAt: now,
      updatedAt: now,
    };
    const resident = initialResident(meta, this.kernels);
    meta.scalars = { ...resident.engine.state.scalars };
    this.commit(() => {
      this.clear();
      writeResident(this.sql, resident, 0, config.length);
      saveMeta(this.db, meta);
    });
    this.cached = resident;
    return { created: true, info: describe(resident) };
  }

  destroy(): { deleted: true } {
    this.existing();
    this.commit(() => this.clear());
    this.cached = null;
    return { deleted: true };
  }

  patch(req: PatchRequest): ShardInfo {
    const resident = this.existing();
    const meta = resident.meta;
    let config: ShardConfig = meta.config;
    if (req.hyper !== undefined) config = { ...config, hyper: resolving(() => getRule(config.rule).resolve({ ...config.hyper, ...req.hyper })) };
    if (req.schedule !== undefined) config = { ...config, schedule: resolving(() => resolveSchedule(req.schedule)) };
    if (stateNames(config) !== stateNames(meta.config)) {
      refuse("invalid-config", "this change adds or removes optimizer state (e.g. momentum, amsgrad, centered); replace the shard instead");
    }
    meta.config = config;
    if (req.schedule !== undefined) {
      meta.scheduleOrigin = meta.step;
      meta.plateau = initialPlateau(config);
    }
    meta.updatedAt = this.now();
    this.commit(() => {
      saveMeta(this.db, meta);
      this.recordChange(meta, { hyper: req.hyper, schedule: req.schedule === undefined ? undefined : config.schedule });
    });
    // Hyperparameters are baked into the engine's kernel plan: rebuild it from storage.
    this.cached = undefined;
    return describe(this.existing());
  }

  /** A configuration change in the history, at the version from which it is in force. */
  private recordChange(meta: ShardMeta, change: Record<string, unknown>): void {
    this.sql.exec("INSERT INTO config_history (version, change, at) VALUES (?, ?, ?)", meta.version, JSON.stringify(change), meta.updatedAt);
  }

  history(): { version: number; change: unknown; at: string }[] {
    this.existing();
    return this.sql
      .exec<{ version: number; change: string; at: number }>("SELECT version, change, at FROM config_history ORDER BY id")
      .toArray()
      .map((r) => ({ version: r.version, change: JSON.parse(r.change), at: new Date(r.at).toISOString() }));
  }

  read(range: Range, average?: string): VectorRead {
    const resident = this.existing();
    const source = average === undefined ? resident.engine.params : resident.averages.find((a) => a.name === average)?.values;
    if (!source) refuse("not-found", `no average named '${average}'; this shard has: ${resident.averages.map((a) => a.name).join(", ") || "none"}`);
    const { offset, count } = checkedRange(range, resident.meta.config.length);
    return {
      version: resident.meta.version,
      revision: resident.meta.revision,
      offset,
      bytes: source!.slice(offset, offset + count).buffer,
    };
  }

  upload(bytes: ArrayBuffer, offset: number, ifMatch: number | undefined): VectorVersion {
    const resident = this.existing();
    const meta = resident.meta;
    const { count } = checkedRange({ offset, length: floatCount(bytes, "the body") }, meta.config.length);
    if (ifMatch === undefined && meta.version > 0) {
      refuse("precondition-failed", `training has started (version ${meta.version}): send If-Match with the current ETag`, { revision: meta.revision, version: meta.version });
    }
    if (ifMatch !== undefined && ifMatch !== meta.revision) {
      refuse("precondition-failed", `If-Match names revision ${ifMatch}; the shard is at revision ${meta.revision}`, { revision: meta.revision, version: meta.version });
    }
    const values = new Float32Array(bytes);
    if (firstNonFinite(values) >= 0) refuse("non-finite", "the weights have NaN or infinite values");
    resident.engine.params.set(values, offset);
    // Before training, averages follow the weights (they hold the initial weights until an update).
    const untouched = meta.version === 0;
    if (untouched) for (const avg of resident.averages) avg.values.set(values, offset);
    meta.revision += 1;
    meta.updatedAt = this.now();
    this.commit(() => {
      writeResident(this.sql, resident, offset, count, untouched);
      saveCounters(this.sql, meta);
    });
    return { version: meta.version, revision: meta.revision, offset };
  }

  async push(req: PushRequest): Promise<PushResult> {
    // The only await before the synchronous section that checks and applies: hashing.
    const fingerprint = req.idempotencyKey === undefined ? undefined : await pushFingerprint(req);
    const resident = this.existing();
    const limit = resident.meta.config.rate_limit;
    const wait = limit ? this.rates.take(limit, req.clientKey ?? "", this.now()) : 0;
    if (wait > 0) {
      refuse("rate-limited", `client '${req.clientKey ?? ""}' exceeds ${limit!.per_second} pushes per second (bursts of ${limit!.burst}) on this shard; retry in ${wait.toFixed(3)} s`, { retry_after: Math.ceil(wait) });
    }
    const key = req.idempotencyKey;
    if (key !== undefined) {
      const pending = this.pushes.pending((p) => p.record?.key === key);
      if (pending) {
        if (pending.entry.record!.fingerprint !== fingerprint) refuse("idempotency-key-reused", `Idempotency-Key '${key}' was used for a different request`);
        await pending.durable;
        return this.respond(this.existing(), { ...pending.entry.summary, replayed: true }, req);
      }
      const previous = this.ledger.recall(key, fingerprint!);
      if (previous) return this.respond(resident, { ...previous, replayed: true }, req);
    }
    if (resident.meta.config.aggregation.mode === "rounds") return this.respond(resident, { ...(await this.pushToRound(resident, req, fingerprint)), replayed: false }, req);
    return this.pushAsync(resident, req, fingerprint);
  }

  /**
   * Applies the push to the resident shard now (each push is its own step and version, in
   * arrival order) and answers once its group is durable. The weights answered are those of its
   * own step, taken before later pushes of the group move them on.
   */
  private async pushAsync(resident: Resident, req: PushRequest, fingerprint: string | undefined): Promise<PushResult> {
    const at = this.now();
    const summary = applyPush(resident, req, at);
    const result: PushResult = { ...summary, replayed: false };
    if (req.respond === "weights") result.weights = this.read({ offset: summary.offset, length: summary.count });
    const key = req.idempotencyKey;
    const record = key === undefined ? undefined : { key, fingerprint: fingerprint!, summary, at };
    // A push that changed nothing still answers only once what it saw is durable.
    await (summary.applied || record ? this.pushes.join({ resident, summary, record }) : this.pushes.settled());
    return result;
  }

  /** One group of async pushes: the pages they changed, the counters, their ledger records. */
  private writePushes(entries: readonly PendingPush[]): void {
    const resident = entries[0]!.resident;
    if (this.cached !== resident) throw new Error("the shard was reloaded under pending pushes");
    this.commit(() => {
      const applied = entries.filter((p) => p.summary.applied).map((p) => p.summary);
      if (applied.length > 0) {
        resident.meta.stats.writes += 1;
        writeUpdated(this.sql, resident, applied);
        saveCounters(this.sql, resident.meta);
      }
      this.ledger.record(entries.flatMap((p) => (p.record ? [p.record] : [])));
    });
  }

  /** Counts the push in the open round, closing it (one step) when it completes the quorum. */
  private async pushToRound(resident: Resident, req: PushRequest, fingerprint: string | undefined): Promise<PushSummary> {
    const { meta } = resident;
    if (meta.roundDeadline !== null && this.now() >= meta.roundDeadline) await this.closeAtDeadline(resident);
    const admission = admit(this.sql, resident, req);
    const round = meta.version + 1;
    const hadDeadline = meta.roundDeadline;
    const now = this.now();
    let summary: PushSummary | undefined;
    this.commit(() => {
      let lr: number | null = null;
      if (!admission.skip) {
        const contributors = store(this.sql, resident, admission, now);
        if (contributors >= roundsOf(resident).quorum) lr = close(this.sql, resident, "quorum", now, freshSeed);
        saveCounters(this.sql, meta);
      }
      summary = {
        version: meta.version,
        revision: meta.revision,
        lr: lr ?? 0,
        applied: lr !== null,
        ...(admission.skip ? { skipped: "non-finite" as const } : {}),
        non_finite: admission.nonFinite,
        staleness: req.baseVersion === undefined ? 0 : round - 1 - req.baseVersion,
        staleness_scale: 1,
        norm: admission.norm,
        offset: 0,
        count: meta.config.length,
        round: receiptOf(this.sql, resident, round, admission.rolled),
      };
      if (req.idempotencyKey !== undefined) this.ledger.record([{ key: req.idempotencyKey, fingerprint: fingerprint!, summary, at: now }]);
    });
    if (meta.roundDeadline !== null && meta.roundDeadline !== hadDeadline) await this.storage.setAlarm(meta.roundDeadline);
    return summary!;
  }

  /**
   * The answer to a push or its replay. A rounds-mode push whose round is open waits for it (up
   * to `waitMs`); once its round has closed the answer carries the weights, like an async push.
   */
  private async respond(resident: Resident, result: PushResult, req: PushRequest): Promise<PushResult> {
    await this.pushes.settled();
    if (result.round) {
      const { number, rolled } = result.round;
      await this.waitUntil(() => this.currentVersion() >= number, req.waitMs ?? 0);
      resident = this.existing();
      result = { ...result, round: receiptOf(this.sql, resident, number, rolled) };
      if (!result.round!.closed) return result;
    }
    if (req.respond !== "weights") return result;
    return { ...result, weights: this.read({ offset: result.offset, length: result.count }) };
  }

  /**
   * The round's deadline has passed: close it, or, when it has fewer pushes than the reducer needs,
   * move the deadline on by another deadline_ms. Idempotent: alarms are delivered at least once.
   */
  private async closeAtDeadline(resident: Resident): Promise<void> {
    const now = this.now();
    const { meta } = resident;
    this.commit(() => {
      if (close(this.sql, resident, "deadline", now, freshSeed) === null) meta.roundDeadline = now + roundsOf(resident).deadline_ms;
      saveCounters(this.sql, meta);
    });
    if (meta.roundDeadline !== null) await this.storage.setAlarm(meta.roundDeadline);
  }

  /** The object's alarm: closes an open round whose deadline has passed; re-arms an early one. */
  async alarm(): Promise<void> {
    const resident = this.resident();
    const deadline = resident?.meta.roundDeadline ?? null;
    if (!resident || deadline === null || resident.meta.config.aggregation.mode !== "rounds") return;
    if (this.now() < deadline) await this.storage.setAlarm(deadline);
    else await this.closeAtDeadline(resident);
  }

  /** Mode, version, the open round and what the shard has seen (counts, never who). */
  status(): ShardStatus {
    const resident = this.existing();
    const { meta } = resident;
    const { stats } = meta;
    const { aggregation } = meta.config;
    const open = aggregation.mode === "rounds" ? openRound(this.sql, resident) : null;
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    const applied = stats.staleness_histogram.reduce((a, b) => a + b, 0);
    return {
      name: meta.name,
      mode: aggregation.mode,
      version: meta.version,
      revision: meta.revision,
      lr: nextLearningRate(meta),
      round:
        open && aggregation.mode === "rounds"
          ? {
              number: open.number,
              contributors: open.contributors,
              quorum: aggregation.quorum,
              sample_count: open.sample_count,
              opened_at: iso(open.opened_at),
              deadline: iso(open.deadline),
              reducer: aggregation.reducer,
              input: aggregation.input,
            }
          : null,
      pushes: stats.pushes,
      writes: stats.writes,
      staleness: {
        mean: applied === 0 ? 0 : stats.staleness_sum / applied,
        max: stats.staleness_max,
        scaled: stats.stale_scaled,
        histogram: stats.staleness_histogram.map((count, i) => ({ le: i === 0 ? 0 : i === 5 ? null : 2 ** i - 1, count })),
      },
      rounds: {
        closed: stats.rounds_closed,
        by_quorum: stats.closed_by_quorum,
        by_deadline: stats.closed_by_deadline,
        late_rolled: stats.late_rolled,
        last: stats.last_round,
      },
    };
  }

  /** Waits (up to `ms`) until the weights' revision differs from `seen`; answers the revision then. */
  async awaitRevision(seen: number, ms: number): Promise<number> {
    this.existing();
    await this.waitUntil(() => (this.resident()?.meta.revision ?? seen + 1) !== seen, ms);
    return this.existing().meta.revision;
  }

  metric(value: number, clientId: string | undefined): MetricResult {
    const resident = this.existing();
    const meta = resident.meta;
    if (!Number.isFinite(value)) refuse("non-finite", `the metric must be a finite number, got ${value}`);
    const schedule = meta.config.schedule;
    if (schedule.type === "plateau" && meta.plateau) meta.plateau = observeMetric(schedule, meta.plateau, value);
    this.commit(() => {
      this.sql.exec("INSERT INTO metrics (version, value, client_id, at) VALUES (?, ?, ?, ?)", meta.version, value, clientId ?? null, this.now());
      saveCounters(this.sql, meta);
    });
    return { version: meta.version, lr: nextLearningRate(meta), plateau: meta.plateau };
  }

  /** Snapshots the shard; a retry with the request's Idempotency-Key answers the first checkpoint. */
  snapshot(req: SnapshotRequest): SnapshotResult {
    const resident = this.existing();
    const key = req.idempotencyKey;
    const previous = key === undefined ? undefined : checkpointByKey(this.db, key);
    if (previous) {
      if (previous.label !== (req.label ?? null)) refuse("idempotency-key-reused", `Idempotency-Key '${key}' took checkpoint ${previous.id} with another label`);
      return { created: false, checkpoint: describeCheckpoint(previous) };
    }
    ensureRoomForCheckpoint(this.db);
    let row: CheckpointRow | undefined;
    this.commit(() => (row = takeCheckpoint(this.sql, this.db, resident, req.label, key, this.now())));
    return { created: true, checkpoint: describeCheckpoint(row!) };
  }

  checkpoints(): Checkpoint[] {
    this.existing();
    return allCheckpoints(this.db).map(describeCheckpoint);
  }

  checkpoint(id: number): Checkpoint {
    this.existing();
    return describeCheckpoint(findCheckpoint(this.db, id));
  }

  deleteCheckpoint(id: number): { deleted: true } {
    const resident = this.existing();
    findCheckpoint(this.db, id);
    this.commit(() => deleteCheckpoint(this.sql, this.db, resident, id));
    return { deleted: true };
  }

  /**
   * Restores a checkpoint as a new version (history is kept: later checkpoints stay restorable).
   * Refused while a round has pushes waiting: they were computed from the current weights.
   */
  restore(id: number): ShardInfo {
    const resident = this.existing();
    const row = findCheckpoint(this.db, id);
    if (resident.meta.config.aggregation.mode === "rounds") {
      const open = openRound(this.sql, resident);
      if (open.contributors > 0) {
        refuse("round-open", `round ${open.number} has ${open.contributors} pushes computed from the current weights; restore once it has closed (by quorum, or at its deadline)`, {
          round: open.number,
          contributors: open.contributors,
          deadline: open.deadline === null ? null : new Date(open.deadline).toISOString(),
        });
      }
    }
    const { meta } = resident;
    this.commit(() => {
      restoreCheckpoint(this.sql, resident, row, this.now());
      saveMeta(this.db, meta);
      this.recordChange(meta, { restored_checkpoint: row.id, checkpoint_version: row.version, step: row.step, hyper: meta.config.hyper, schedule: meta.config.schedule });
    });
    // The resident vectors still hold the state before the restore: rebuild them from the pages.
    this.cached = undefined;
    return describe(this.existing());
  }

  /** A checkpoint's weights over a range. */
  readCheckpoint(id: number, range: Range): VectorRead {
    return this.ensemble({ ids: [id] }, range);
  }

  /** The element-wise mean of the selected checkpoints' weights over a range. */
  ensemble(selection: CheckpointSelection, range: Range): EnsembleRead {
    const { meta } = this.existing();
    const rows = selectCheckpoints(this.db, selection);
    const { offset, count } = checkedRange(range, meta.config.length);
    const slots = rows.map((r) => checkpointSlot(r.id, WEIGHTS_SLOT));
    const newest = rows[rows.length - 1]!;
    return {
      version: newest.version,
      revision: newest.revision,
      offset,
      bytes: meanOfStored(this.sql, slots, meta.config.page_floats, offset, count).buffer as ArrayBuffer,
      checkpoints: rows.map((r) => r.id),
    };
  }
}

/** The optimizer state a configuration keeps: hyperparameters that change it need a new shard. */
function stateNames(config: ShardConfig): string {
  const t = getRule(config.rule).transform(config.hyper);
  return JSON.stringify([t.slots, t.scalars]);
}

function checkedRange(range: Range, length: number): { offset: number; count: number } {
  const offset = range.offset;
  const count = range.length ?? length - offset;
  if (!Number.isInteger(offset) || !Number.isInteger(count) || offset < 0 || count < 1 || offset + count > length) {
    refuse("invalid-range", `range of ${count} floats at offset ${offset} is outside the shard's ${length} floats`, { length });
  }
  return { offset, count };
}

function describe(resident: Resident): ShardInfo {
  const { meta } = resident;
  return {
    name: meta.name,
    version: meta.version,
    step: meta.step,
    revision: meta.revision,
    lr: nextLearningRate(meta),
    config: meta.config,
    averages: Object.fromEntries(
      Object.entries(meta.config.averages).map(([name, spec]) => [name, { ...spec, count: meta.averageCounts[name] ?? 0 }]),
    ),
    schedule_origin: meta.scheduleOrigin,
    plateau: meta.plateau,
    resident_bytes: resident.engine.bytes,
    created_at: new Date(meta.createdAt).toISOString(),
    updated_at: new Date(meta.updatedAt).toISOString(),
  };
}

