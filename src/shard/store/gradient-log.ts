import { isLbfgs, type Hyper } from "../../optim";
import { ENGINE_VERSION } from "../../optim/fast/engine-version";
import { LOG_MIN_LENGTH } from "../../limits";
import { takeStep } from "../pushes/apply";
import type { PushSummary } from "../types";
import { saveCounters, type ShardMeta } from "./meta";
import { pageRows, readPages, writePageRows } from "./pages";
import { nextHyper, ruleResident, writeResident, writeUpdated, type Resident, type RuleResident } from "./resident";

/**
 * The gradient log (docs/gradient-log.md). A step of a logging shard commits the gradient it
 * applied (its pages under `log:@<position>`, its place in the log) and a record of what the step
 * was taken with (a row of `gradient_log`), not the state pages. The state pages are written later
 * by a materialization, which empties the log in the same transaction; a cold start loads the pages
 * and replays the log through the same kernels (`replayLog`), which gives the same bits as writing
 * the pages at every step. Every function here runs inside the caller's transaction.
 */

/**
 * The pages of a logged gradient are those of its place in the log, `log:@<position>` (0 for the
 * first step after a materialization), which the step of the same place in a later log overwrites
 * where they are. The platform bills an update of a row as one row written, a new row as two and
 * its deletion as one more: in place, the log writes a third of the rows (docs/cost.md), for some
 * more of the local runtime's time (SQLite reads and journals each page it overwrites:
 * docs/gradient-log.md). So the ring of places stays on disk between the logs of a busy shard, at
 * most `max_steps` gradients (a shard's bound never changes), until its alarm finds it idle
 * (`freeRing`).
 */
export const positionSlot = (position: number) => `log:@${position}`;

/** Where a step's gradient is: its place in the ring, or for a step logged before the ring (no `position`) `log:<version>`. */
export const stepSlot = (step: LoggedStep) => (step.position === undefined ? `log:${step.version}` : positionSlot(step.position));

/** The counters a step starts from: what a replay sets before taking it again. */
export interface StepOrigin {
  step: number;
  revision: number;
  scalars: Record<string, number>;
  averageCounts: Record<string, number>;
}

/** A logged step's record: its gradient is in the pages of `stepSlot(step)`. */
export interface LoggedStep {
  /** The version the step made. */
  version: number;
  /** Its place in the log, which names its pages (`positionSlot`); absent in records written before the ring. */
  position?: number;
  /** ENGINE_VERSION of the kernels that took it. */
  engine: number;
  origin: StepOrigin;
  /** The learning rate it used (schedule, plateau and staleness applied). */
  lr: number;
  /** The hyperparameters in force for it. */
  hyper: Hyper;
  offset: number;
  count: number;
  /** The gradient's norm before clipping, when clipping by norm. */
  norm?: number;
  /** Non-finite values of the push, zeroed in the logged gradient (non_finite "zero"). */
  non_finite: number;
  /** The push's Idempotency-Key, when it came with one. */
  key?: string;
  at: number;
}

/** A step to log: its record and the gradient it was taken on (before clipping). */
export interface LogEntry {
  step: LoggedStep;
  gradient: Float32Array;
}

/** Steps and gradient bytes in the log, and whether the ring's places hold pages. */
export interface LogSize {
  steps: number;
  bytes: number;
  /** Whether pages of the ring are stored (written since it was last freed, `freeRing`). */
  ring: boolean;
}

export const EMPTY_LOG: LogSize = { steps: 0, bytes: 0, ring: false };

/**
 * Whether the shard logs its steps: update rules of shards of at least LOG_MIN_LENGTH floats whose
 * log may hold a step. Others (L-BFGS, whose closure calls are not replayable steps; small shards,
 * cheaper to write whole; a bound of 0 steps) write their state pages at every step.
 */
export function logsSteps(meta: ShardMeta): boolean {
  const { rule, length, gradient_log: bound } = meta.config;
  return !isLbfgs(rule) && length >= LOG_MIN_LENGTH && bound.max_steps > 0;
}

export function stepOrigin(meta: ShardMeta): StepOrigin {
  return { step: meta.step, revision: meta.revision, scalars: { ...meta.scalars }, averageCounts: { ...meta.averageCounts } };
}

/** What a push's step is taken with, seen before it is taken. */
export interface Captured {
  origin: StepOrigin;
  hyper: Hyper;
  gradient: Float32Array;
}

/** What a step about to be taken on `staged` is taken with; `body` is the push's own bytes, logged as they are unless values were zeroed. */
export function captureStep(meta: ShardMeta, staged: Float32Array, nonFinite: number, body: Uint8Array): Captured {
  const gradient = nonFinite === 0 ? new Float32Array(body.buffer, body.byteOffset, body.byteLength / 4) : staged.slice();
  return { origin: stepOrigin(meta), hyper: nextHyper(meta), gradient };
}

/** An applied push's step as the log records it. */
export function pushEntry(captured: Captured, summary: PushSummary, key: string | undefined, at: number): LogEntry {
  const { origin, hyper, gradient } = captured;
  const { version, lr, offset, count, norm, non_finite } = summary;
  return { gradient, step: { version, engine: ENGINE_VERSION, origin, lr, hyper, offset, count, non_finite, at, ...(norm === undefined ? {} : { norm }), ...(key === undefined ? {} : { key }) } };
}

function fits(resident: Resident, steps: number, bytes: number): boolean {
  const bound = resident.meta.config.gradient_log;
  return resident.log.steps + steps <= bound.max_steps && resident.log.bytes + bytes <= bound.max_bytes;
}

/**
 * Writes a group of steps: their gradients and records when they fit in the log; every state page
 * (and an empty log) when they would take it past its bound; the pages they changed when the shard
 * does not log (`entries` empty).
 */
export function writeSteps(sql: SqlStorage, resident: Resident, ranges: readonly { offset: number; count: number }[], entries: readonly LogEntry[]): void {
  if (entries.length === 0) return writeUpdated(sql, resident, ranges);
  const bytes = entries.reduce((sum, e) => sum + e.gradient.byteLength, 0);
  if (!fits(resident, entries.length, bytes)) return materialize(sql, resident);
  const steps = entries.map((e, i) => ({ ...e.step, position: resident.log.steps + i }));
  writeLogged(sql, resident, entries.map((e, i) => ({ slot: stepSlot(steps[i]!), gradient: e.gradient })));
  appendRecords(sql, resident, steps, bytes);
}

/**
 * Logged gradients' pages at their places, in as few statements as the pages allow. A place that
 * held a longer gradient keeps no page past the new one's; only a partial gradient can be shorter.
 */
function writeLogged(sql: SqlStorage, resident: Resident, logged: readonly { slot: string; gradient: Float32Array }[]): void {
  const { length, page_floats: pageFloats } = resident.meta.config;
  writePageRows(sql, logged.flatMap((l) => pageRows(l.slot, l.gradient, pageFloats)));
  for (const { slot, gradient } of logged) {
    if (gradient.length < length) sql.exec("DELETE FROM pages WHERE slot = ? AND page >= ?", slot, Math.ceil(gradient.length / pageFloats));
  }
}

function appendRecords(sql: SqlStorage, resident: Resident, steps: readonly LoggedStep[], bytes: number): void {
  const rows = JSON.stringify(steps.map((s) => [s.version, s.engine, s.count * 4, s]));
  sql.exec("INSERT INTO gradient_log (version, engine, bytes, record) SELECT value ->> 0, value ->> 1, value ->> 2, value -> 3 FROM json_each(?)", rows);
  resident.log = { steps: resident.log.steps + steps.length, bytes: resident.log.bytes + bytes, ring: true };
}

/**
 * Takes one step on the whole gradient scratch (a round's combination) at `lr` and writes it: the
 * gradient is logged before the step (which may clip or overwrite it), the record after; or, when
 * the shard does not log or the log is full, the state pages after. Answers the norm before clipping.
 */
export function takeWrittenStep(sql: SqlStorage, resident: RuleResident, lr: number, now: number): number | undefined {
  const { meta, engine } = resident;
  const { length } = meta.config;
  const logging = logsSteps(meta);
  if (!logging || !fits(resident, 1, length * 4)) {
    const norm = takeStep(resident, lr, 0, length, now);
    if (logging) materialize(sql, resident);
    else writeUpdated(sql, resident, [{ offset: 0, count: length }]);
    return norm;
  }
  const origin = stepOrigin(meta);
  const hyper = nextHyper(meta);
  const position = resident.log.steps;
  writeLogged(sql, resident, [{ slot: positionSlot(position), gradient: engine.gradient }]);
  const norm = takeStep(resident, lr, 0, length, now, hyper);
  const step: LoggedStep = { version: meta.version, position, engine: ENGINE_VERSION, origin, lr, hyper, offset: 0, count: length, non_finite: 0, at: now, ...(norm === undefined ? {} : { norm }) };
  appendRecords(sql, resident, [step], length * 4);
  return norm;
}

/** Writes every state page and the counters, and empties the log. */
export function materialize(sql: SqlStorage, resident: Resident): void {
  writeResident(sql, resident, 0, resident.meta.config.length);
  saveCounters(sql, resident.meta);
  // The ring's places stay, to be overwritten; the pages of steps logged before the ring go.
  sql.exec("DELETE FROM pages WHERE slot IN (SELECT 'log:' || version FROM gradient_log WHERE record ->> 'position' IS NULL)");
  sql.exec("DELETE FROM gradient_log");
  resident.log = { ...EMPTY_LOG, ring: resident.log.ring };
}

/** The ring's first and past-the-last slot names: `log:@<position>` sorts between them, nothing else does. */
const RING = ["log:@", "log:A"] as const;

/**
 * Deletes the ring's pages (the log must be empty): a shard idle for LOG_RING_IDLE_MS keeps only its
 * state on disk, and its next burst writes its first log under new keys again.
 */
export function freeRing(sql: SqlStorage, resident: Resident): void {
  if (resident.log.steps > 0) throw new Error("the ring is freed only once the log is materialized");
  sql.exec("DELETE FROM pages WHERE slot >= ? AND slot < ?", ...RING);
  resident.log = EMPTY_LOG;
}

/** Whether the ring's places hold pages: read once, when the shard is loaded. */
function ringStored(sql: SqlStorage): boolean {
  return sql.exec("SELECT 1 FROM pages WHERE slot >= ? AND slot < ? LIMIT 1", ...RING).toArray().length > 0;
}

/**
 * Replays the log onto a resident just loaded from the state pages: each step taken again, in
 * order, from its own counters, with its own lr and hyperparameters, through the same kernels.
 * The counters end where the stored ones are (an error otherwise: the log and the shard disagree).
 * A step logged by another engine version is replayed through this one and said so (docs/gradient-log.md).
 */
export function replayLog(sql: SqlStorage, resident: Resident): LogSize {
  const rows = sql.exec<{ engine: number; bytes: number; record: string }>("SELECT engine, bytes, record FROM gradient_log ORDER BY version").toArray();
  const ring = ringStored(sql);
  if (rows.length === 0) return { ...EMPTY_LOG, ring };
  const shard = ruleResident(resident, "a replay of the gradient log");
  const { meta, engine } = shard;
  const stored = { version: meta.version, step: meta.step, revision: meta.revision, scalars: meta.scalars, averageCounts: meta.averageCounts, updatedAt: meta.updatedAt };
  const others = rows.filter((r) => r.engine !== ENGINE_VERSION).length;
  if (others > 0) console.warn(`shard '${meta.name}': ${others} logged steps were taken by another engine version than ${ENGINE_VERSION}; replaying them through this one`);
  let bytes = 0;
  for (const row of rows) {
    const step = JSON.parse(row.record) as LoggedStep;
    const { origin } = step;
    Object.assign(meta, { version: step.version - 1, step: origin.step, revision: origin.revision, scalars: { ...origin.scalars }, averageCounts: { ...origin.averageCounts } });
    engine.state.step = origin.step;
    Object.assign(engine.state.scalars, origin.scalars);
    readPages(sql, stepSlot(step), engine.gradient.subarray(step.offset, step.offset + step.count), meta.config.page_floats);
    takeStep(shard, step.lr, step.offset, step.count, step.at, step.hyper);
    bytes += row.bytes;
  }
  const replayed = JSON.stringify([meta.version, meta.step, meta.scalars]);
  if (replayed !== JSON.stringify([stored.version, stored.step, stored.scalars])) {
    throw new Error(`shard '${meta.name}': its gradient log replays to (version, step, scalars) ${replayed}; the shard stored ${JSON.stringify([stored.version, stored.step, stored.scalars])}`);
  }
  Object.assign(meta, stored);
  return { steps: rows.length, bytes, ring };
}
