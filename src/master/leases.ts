import { and, eq, lt, sql } from "drizzle-orm";
import { templateSeed, trialSetup } from "../config/trial-template";
import { nextTrial } from "../sweeps/plan";
import type { Assignment } from "../sweeps/space";
import { provision, trialResourceName, type ProvisionBindings } from "./provision";
import { asks, trials } from "./schema";
import type { LoadedSweep, SweepStore } from "./sweep-store";
import { viewOf, type TrialRow } from "./trials";
import type { AskAnswer, AskRequest, Lease } from "./types";

/** How long a worker is told to wait before asking again when no trial can start now. */
const RETRY_AFTER_SECONDS = 2;

/**
 * Leases: a worker asks for a trial and gets one for `lease_seconds` (each report renews it). A
 * queued trial (its worker's lease expired, or a replicate) goes first, then the algorithm's next
 * suggestion. The decision and the lease commit in one transaction before the trial's shard is
 * provisioned; a retry with the same Idempotency-Key answers the same lease (provisioning again,
 * which is idempotent), so a crash anywhere gives the worker its trial, never two.
 */
export class Leases {
  constructor(
    private readonly store: SweepStore,
    private readonly env: ProvisionBindings,
  ) {}

  async ask(req: AskRequest): Promise<AskAnswer> {
    const { store } = this;
    const sweep = store.existing();
    this.expire();
    const known = req.idempotencyKey === undefined ? undefined : store.db.select().from(asks).where(eq(asks.key, req.idempotencyKey)).get();
    if (known) {
      const row = store.trials.get(known.trial);
      if (row.leaseId === known.leaseId) return this.answer(sweep, row, true);
      return { status: "wait", retry_after: 0, reason: `the lease this Idempotency-Key was given (trial ${row.id}) has ended (${row.state}); ask again with a new key` };
    }
    const decided = store.commit(() => this.decide(sweep, req));
    if (decided.status !== "leased") return decided;
    return this.answer(sweep, decided.row, false);
  }

  /** The next trial to lease (committed with its lease), or why none can start. */
  private decide(sweep: LoadedSweep, req: AskRequest): { status: "leased"; row: TrialRow } | Exclude<AskAnswer, Lease> {
    const { store } = this;
    const rows = store.trials.all();
    const running = rows.filter((r) => r.state === "running").length;
    if (running >= sweep.config.budget.parallel) {
      return { status: "wait", retry_after: RETRY_AFTER_SECONDS, reason: `${running} trials are running, the sweep's parallel budget (budget.parallel)` };
    }
    let row = rows.find((r) => r.state === "queued");
    if (!row) {
      const next = nextTrial(sweep.plan, store.trials.records(rows));
      if (next.kind === "wait") return { status: "wait", retry_after: RETRY_AFTER_SECONDS, reason: next.reason };
      if (next.kind === "done") {
        return running > 0
          ? { status: "wait", retry_after: RETRY_AFTER_SECONDS, reason: `every trial has started; ${running} still running (a trial whose worker stops reporting is given to the next worker)` }
          : { status: "done" };
      }
      row = this.newTrial(sweep, store.trials.nextId(), { searchIndex: next.number, params: next.params, stage: next.stage, budget: next.budget });
    }
    const now = store.now();
    const leaseId = leaseIdOf(row);
    const change: Partial<TrialRow> = {
      state: "running",
      leaseId,
      leaseExpires: now + sweep.config.lease_seconds * 1000,
      worker: req.worker ?? null,
      leases: row.leases + 1,
      updatedAt: now,
    };
    store.trials.update(row.id, change);
    if (req.idempotencyKey !== undefined) store.db.insert(asks).values({ key: req.idempotencyKey, trial: row.id, leaseId, at: now }).run();
    return { status: "leased", row: { ...row, ...change } };
  }

  /** Inserts a trial (queued) with the parameters its rule has no use for; a replicate carries its own initialisation seed, other trials the template's. */
  newTrial(sweep: LoadedSweep, id: number, t: Pick<TrialRow, "stage" | "budget"> & { params: string | Assignment } & Partial<Pick<TrialRow, "searchIndex" | "replicateOf" | "initSeed">>): TrialRow {
    const { store } = this;
    const now = store.now();
    const params: Assignment = typeof t.params === "string" ? JSON.parse(t.params) : t.params;
    const initSeed = t.initSeed ?? templateSeed(sweep.config) ?? null;
    const row: TrialRow = {
      id,
      searchIndex: t.searchIndex ?? null,
      replicateOf: t.replicateOf ?? null,
      initSeed,
      params: JSON.stringify(params),
      stage: t.stage,
      budget: t.budget,
      state: "queued",
      value: null,
      metrics: null,
      reason: null,
      unapplied: JSON.stringify(sweep.config.template === null ? [] : trialSetup(sweep.config, params, initSeed ?? undefined).unapplied),
      leaseId: null,
      leaseExpires: null,
      worker: null,
      leases: 0,
      shard: trialResourceName(sweep.name, sweep.config, id),
      startCheckpoint: null,
      checkpoint: null,
      checkpointStep: null,
      needsRestore: 0,
      createdAt: now,
      updatedAt: now,
    };
    store.trials.insert(row);
    return row;
  }

  private async answer(sweep: LoadedSweep, row: TrialRow, replayed: boolean): Promise<Lease> {
    const change = await provision(this.env, sweep.name, sweep.config, row);
    if (Object.keys(change).length) this.store.commit(() => this.store.trials.update(row.id, change));
    const current = { ...row, ...change };
    return {
      status: "leased",
      trial: viewOf(current, this.store.trials.reportsOf(row.id), sweep.config.seed),
      lease: { id: current.leaseId!, expires_at: current.leaseExpires! },
      resume: current.checkpoint !== null && current.checkpointStep !== null ? { id: current.checkpoint, step: current.checkpointStep } : null,
      unit: sweep.config.budget.unit,
      replayed,
    };
  }

  /**
   * Ends the leases that expired: their trials are queued again, to resume from their last
   * checkpoint; reports after it are dropped (the next worker repeats those steps). Answers the
   * earliest lease still running, for the alarm.
   */
  expire(): number | null {
    const { store } = this;
    const now = store.now();
    const expired = store.db.select().from(trials).where(and(eq(trials.state, "running"), lt(trials.leaseExpires, now + 1))).all();
    if (expired.length) {
      store.commit(() => {
        for (const row of expired) {
          store.trials.update(row.id, { state: "queued", leaseId: null, leaseExpires: null, needsRestore: row.shard === null ? 0 : 1, updatedAt: now });
          store.trials.dropReportsAfter(row.id, row.checkpointStep);
        }
      });
    }
    return store.db.select({ t: sql<number | null>`min(${trials.leaseExpires})` }).from(trials).where(eq(trials.state, "running")).get()?.t ?? null;
  }
}

/** A lease's id: the trial, the lease's ordinal and 96 random bits (another worker cannot guess it). */
function leaseIdOf(row: TrialRow): string {
  const bits = Array.from(crypto.getRandomValues(new Uint32Array(3)), (w) => w.toString(16).padStart(8, "0")).join("");
  return `${row.id}.${row.leases + 1}.${bits}`;
}
