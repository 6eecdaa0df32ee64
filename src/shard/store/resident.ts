import { fillInitial, hyperInForce, isLbfgs, initPlateau, learningRateAt, scheduledValues, structuralHyper, type AverageSpec, type Hyper } from "../../optim";
import { createFastEngine, type FastEngine } from "../../optim/fast/engine";
import { createFastLbfgsEngine, type FastLbfgsEngine } from "../../optim/fast/lbfgs-engine";
import type { LbfgsHyper } from "../../optim/lbfgs";
import type { ShardConfig } from "../../config";
import type { InitPiece } from "../types";
import type { ShardMeta } from "./meta";
import { coveringPageRuns } from "./page-layout";
import { pageRows, readPages, writePageRows, type PageRow } from "./pages";
import { EMPTY_LOG, type LogSize } from "./gradient-log";

/**
 * A shard held in memory between requests: its metadata and a fast engine whose WebAssembly
 * memory holds the weights, the gradient scratch, the rule's slots and the averages. A cache of
 * storage, rebuilt from the pages after an eviction or a crash.
 */
export interface Resident {
  meta: ShardMeta;
  engine: FastEngine | FastLbfgsEngine;
  averages: ResidentAverage[];
  /** What the gradient log holds: steps taken since the state pages were written (gradient-log.ts). */
  log: LogSize;
}

/** A shard of an update rule (one step per gradient), and one of L-BFGS (one closure call per gradient). */
export type RuleResident = Resident & { engine: FastEngine };
export type LbfgsResident = Resident & { engine: FastLbfgsEngine };

export const isLbfgsResident = (resident: Resident): resident is LbfgsResident => resident.engine.rule === "lbfgs";

/** The shard as an update rule's; L-BFGS never gets here (its configuration refuses what would lead here). */
export function ruleResident(resident: Resident, what: string): RuleResident {
  if (isLbfgsResident(resident)) throw new Error(`${what} takes an update rule's step; an lbfgs shard has none`);
  return resident as RuleResident;
}

/** A range of a vector: elements [offset, offset + count). */
type Part = { offset: number; count: number };

export interface ResidentAverage {
  readonly name: string;
  readonly spec: AverageSpec;
  readonly values: Float32Array;
}

export const WEIGHTS_SLOT = "weights";
export const stateSlot = (name: string) => `slot:${name}`;
export const averageSlot = (name: string) => `avg:${name}`;

function residentFor(meta: ShardMeta, kernels: WebAssembly.Module): Resident {
  const { config } = meta;
  const names = Object.keys(config.averages);
  const options = { extraVectors: names.length };
  const engine = isLbfgs(config.rule)
    ? createFastLbfgsEngine(kernels, config.hyper as LbfgsHyper, config.length, options)
    : createFastEngine(kernels, config.rule, structuralHyper(config), config.length, options);
  engine.state.step = meta.step;
  Object.assign(engine.state.scalars, meta.scalars);
  const averages = names.map((name, i) => ({ name, spec: config.averages[name]!, values: engine.extra[i]! }));
  return { meta, engine, averages, log: EMPTY_LOG };
}

/** Rebuilds the resident shard from its stored pages. */
export function loadResident(sql: SqlStorage, meta: ShardMeta, kernels: WebAssembly.Module): Resident {
  const resident = residentFor(meta, kernels);
  const { engine } = resident;
  const pageFloats = meta.config.page_floats;
  readPages(sql, WEIGHTS_SLOT, engine.params, pageFloats);
  for (const [name, vector] of Object.entries(engine.state.slots)) readPages(sql, stateSlot(name), vector, pageFloats);
  for (const avg of resident.averages) readPages(sql, averageSlot(avg.name), avg.values, pageFloats);
  return resident;
}

/**
 * A new shard's resident state: initial weights, initial slots, averages holding the initial
 * weights. With `pieces` (a model's shard), each piece draws from its tensor's own stream.
 */
export function initialResident(meta: ShardMeta, kernels: WebAssembly.Module, pieces?: readonly InitPiece[]): Resident {
  const resident = residentFor(meta, kernels);
  const { params } = resident.engine;
  const { init } = meta.config;
  if (pieces === undefined || init.kind === "zeros") fillInitial(params, init);
  else for (const p of pieces) fillInitial(params.subarray(p.offset, p.offset + p.length), { ...init, seed: p.seed }, p.skip);
  for (const avg of resident.averages) avg.values.set(resident.engine.params);
  return resident;
}

/** The vectors of the shard's live state by their slot in `pages`: the weights, every rule slot, every average. */
export function liveVectors(resident: Resident): [string, Float32Array][] {
  const { engine } = resident;
  return [
    [WEIGHTS_SLOT, engine.params],
    ...Object.entries(engine.state.slots).map(([name, v]) => [stateSlot(name), v] as [string, Float32Array]),
    ...resident.averages.map((a) => [averageSlot(a.name), a.values] as [string, Float32Array]),
  ];
}

/** The slots of `pages` that hold the shard's live state. */
export const liveSlots = (resident: Resident): string[] => liveVectors(resident).map(([slot]) => slot);

/**
 * The rows of elements [offset, offset + count) of the weights and of every slot as long as them, and
 * (`whole`) of every average and every slot of another length (an update changes them whole).
 */
function residentRows(resident: Resident, offset: number, count: number, whole: boolean, parts?: Map<string, Part[]>): PageRow[] {
  const { engine, meta } = resident;
  const pageFloats = meta.config.page_floats;
  const rows = pageRows(WEIGHTS_SLOT, engine.params, pageFloats, offset, count);
  for (const [name, vector] of Object.entries(engine.state.slots)) {
    if (vector.length === engine.length) rows.push(...pageRows(stateSlot(name), vector, pageFloats, offset, count));
    else if (whole && parts?.has(name)) {
      for (const run of coveringPageRuns(parts.get(name)!, pageFloats, vector.length)) rows.push(...pageRows(stateSlot(name), vector, pageFloats, run.offset, run.count));
    }
    else if (whole) rows.push(...pageRows(stateSlot(name), vector, pageFloats));
  }
  if (whole) for (const avg of resident.averages) rows.push(...pageRows(averageSlot(avg.name), avg.values, pageFloats));
  return rows;
}

/** Writes elements [offset, offset + count) of the weights and of every slot, and (`whole`) every average and short slot whole. */
export function writeResident(sql: SqlStorage, resident: Resident, offset: number, count: number, whole = true): void {
  writePageRows(sql, residentRows(resident, offset, count, whole));
}

/**
 * Writes the pages that updates of `ranges` changed (each page once), every average whole, and every
 * short slot whole but L-BFGS's history rings, of which only the rows written since the last write.
 */
export function writeUpdated(sql: SqlStorage, resident: Resident, ranges: readonly { offset: number; count: number }[]): void {
  const { page_floats: pageFloats, length } = resident.meta.config;
  const runs = coveringPageRuns(ranges, pageFloats, length);
  // L-BFGS rewrites one pair of its history per closure call at most: only those rows, not the rings.
  const parts = isLbfgsResident(resident) ? resident.engine.takeHistoryWrites() : undefined;
  writePageRows(sql, runs.flatMap((run, i) => residentRows(resident, run.offset, run.count, i === 0, parts)));
}

/** The learning rate the next update will use: the schedule at (step − origin), or the plateau's. */
export function nextLearningRate(meta: ShardMeta): number {
  const { schedule, hyper } = meta.config;
  return learningRateAt(schedule, hyper.lr as number, meta.step - meta.scheduleOrigin, meta.plateau ?? undefined);
}

/** The hyperparameters the next update will use: the configured ones unless some are scheduled. */
export function nextHyper(meta: ShardMeta): Hyper {
  return hyperInForce(meta.config, meta.step, meta.step - meta.scheduleOrigin);
}

/** The scheduled hyperparameters the next update will use, by path (what answers show). */
export function nextScheduledValues(meta: ShardMeta): Record<string, number> {
  return scheduledValues(meta.config, meta.step, meta.step - meta.scheduleOrigin);
}

export function initialPlateau(config: ShardConfig) {
  return config.schedule.type === "plateau" ? initPlateau(config.schedule, config.hyper.lr as number) : null;
}
