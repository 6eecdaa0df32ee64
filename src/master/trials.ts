import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { refuse } from "../problems";
import type { Report, TrialRecord } from "../sweeps/space";
import { reports, trials } from "./schema";
import type { TrialState, TrialView } from "./types";

export type TrialRow = typeof trials.$inferSelect;
export type Db = DrizzleSqliteDODatabase<Record<string, never>>;

/** The trials of one sweep and their reports, as rows and as the algorithms see them. */
export class TrialTable {
  constructor(private readonly db: Db) {}

  all(): TrialRow[] {
    return this.db.select().from(trials).orderBy(asc(trials.id)).all();
  }

  get(id: number): TrialRow {
    return this.db.select().from(trials).where(eq(trials.id, id)).get() ?? refuse("not-found", `no trial ${id} in this sweep; GET the sweep's trials to see them`);
  }

  find(id: number): TrialRow | undefined {
    return this.db.select().from(trials).where(eq(trials.id, id)).get();
  }

  insert(row: TrialRow): void {
    this.db.insert(trials).values(row).run();
  }

  update(id: number, change: Partial<TrialRow>): void {
    this.db.update(trials).set(change).where(eq(trials.id, id)).run();
  }

  nextId(): number {
    return (this.db.select({ n: sql<number>`coalesce(max(${trials.id}), -1)` }).from(trials).get()?.n ?? -1) + 1;
  }

  reportsOf(id: number): (typeof reports.$inferSelect)[] {
    return this.db.select().from(reports).where(eq(reports.trial, id)).orderBy(asc(reports.step)).all();
  }

  /** Drops a trial's reports after `step` (all of them when null): a resumed trial repeats those steps. */
  dropReportsAfter(id: number, step: number | null): void {
    this.db.delete(reports).where(step === null ? eq(reports.trial, id) : and(eq(reports.trial, id), gt(reports.step, step))).run();
  }

  /** Every trial's reports (the learning curves), by trial. */
  curves(): Map<number, Report[]> {
    const curves = new Map<number, Report[]>();
    for (const r of this.db.select({ trial: reports.trial, step: reports.step, value: reports.value }).from(reports).orderBy(asc(reports.trial), asc(reports.step)).all()) {
      let curve = curves.get(r.trial);
      if (!curve) curves.set(r.trial, (curve = []));
      curve.push({ step: r.step, value: r.value });
    }
    return curves;
  }

  /** The search trials as the algorithms see them (replicates are not part of the search); a queued trial counts as running. */
  records(rows: readonly TrialRow[] = this.all(), curves: Map<number, Report[]> = this.curves()): TrialRecord[] {
    return rows.filter((r) => r.searchIndex !== null).map((r) => recordOf(r, curves.get(r.id) ?? []));
  }
}

export function recordOf(row: TrialRow, curve: readonly Report[]): TrialRecord {
  const state = row.state === "queued" ? "running" : (row.state as TrialRecord["state"]);
  return { number: row.searchIndex ?? row.id, params: JSON.parse(row.params), state, value: row.value, reports: curve, stage: row.stage };
}

export function viewOf(row: TrialRow, curve: readonly Report[], sweepSeed: number): TrialView {
  return {
    id: row.id,
    search_index: row.searchIndex,
    replicate_of: row.replicateOf,
    state: row.state as TrialState,
    params: JSON.parse(row.params),
    stage: row.stage,
    budget: row.budget,
    value: row.value,
    metrics: row.metrics === null ? null : JSON.parse(row.metrics),
    reason: row.reason,
    unapplied: JSON.parse(row.unapplied),
    shard: row.shard,
    seed: row.initSeed ?? sweepSeed,
    worker: row.worker,
    leases: row.leases,
    checkpoint: row.checkpoint === null || row.checkpointStep === null ? null : { id: row.checkpoint, step: row.checkpointStep },
    last_report: curve.length ? { step: curve[curve.length - 1]!.step, value: curve[curve.length - 1]!.value } : null,
    reports: curve.length,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}
