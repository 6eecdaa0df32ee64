import { MAX_SWEEP_METRICS, MAX_SWEEP_REPORTS } from "../limits";
import { refuse } from "../problems";
import { shouldPrune } from "../sweeps/plan";
import { trialResource, type ProvisionBindings } from "./provision";
import { reports } from "./schema";
import type { LoadedSweep, SweepStore } from "./sweep-store";
import { recordOf, viewOf, type TrialRow } from "./trials";
import type { CompleteRequest, ReportAnswer, ReportRequest, TrialView } from "./types";

const FINAL = new Set(["complete", "pruned", "failed"]);

/**
 * What workers send back: intermediate reports (each answered continue or stop, pruning judged on
 * the sweep's pruner; a report may take a checkpoint of the trial's shard and renews the lease)
 * and the trial's end (complete with its metrics, or failed). A report of a step already recorded
 * answers the recorded decision; a call under a lease that ended is refused (lease-lost).
 */
export class Results {
  constructor(
    private readonly store: SweepStore,
    private readonly env: ProvisionBindings,
    private readonly expire: () => void,
  ) {}

  async report(req: ReportRequest): Promise<ReportAnswer> {
    const sweep = this.store.existing();
    this.expire();
    const objective = checkedMetrics(sweep, req.metrics, "report");
    const settled = this.settled(sweep, req.trial, req.lease, req.step);
    if (settled) return settled;
    let checkpoint: number | null = null;
    if (req.checkpoint) {
      const row = this.store.trials.get(req.trial);
      const resource = trialResource(this.env, sweep.name, sweep.config, row);
      if (resource === null) refuse("invalid-request", "this sweep has no template, so its trials have nothing on the server to checkpoint; keep checkpoints in the client, or send checkpoint: false");
      checkpoint = await resource!.snapshot(`sweep-step:${row.id}:${row.leases}:${req.step}`, `sweep ${sweep.name} trial ${row.id} step ${req.step}`);
      // The snapshot awaited: the lease may have ended, or a retry recorded the step meanwhile.
      const again = this.settled(sweep, req.trial, req.lease, req.step);
      if (again) return again;
    }
    const row = this.store.trials.get(req.trial);
    const curve = this.store.trials.reportsOf(row.id);
    if (curve.length >= MAX_SWEEP_REPORTS) refuse("too-many-reports", `trial ${row.id} has ${curve.length} reports, the limit; report less often (every epoch, not every step) and complete the trial`);
    const last = curve[curve.length - 1];
    if (last && req.step <= last.step) refuse("report-out-of-order", `trial ${row.id} already reported step ${last.step}; steps of one trial increase (this report: ${req.step})`, { last_step: last.step });
    const record = recordOf(row, [...curve.map((r) => ({ step: r.step, value: r.value })), { step: req.step, value: objective }]);
    // Replicates are not part of the search: they are never pruned (and need no other trials read).
    const pruned = row.searchIndex !== null && shouldPrune(sweep.plan, record, this.store.trials.records().filter((t) => t.number !== row.searchIndex));
    const budgetUsed = req.step >= row.budget;
    const reason = pruned ? `pruned by the ${sweep.config.pruner.kind} rule at ${sweep.config.budget.unit} ${req.step}` : budgetUsed ? `the trial's budget (${row.budget} ${sweep.config.budget.unit}) is used; complete it` : null;
    const now = this.store.now();
    const superseded = checkpoint !== null ? row.checkpoint : null;
    const change: Partial<TrialRow> = {
      leaseExpires: pruned ? null : now + sweep.config.lease_seconds * 1000,
      updatedAt: now,
      ...(checkpoint !== null ? { checkpoint, checkpointStep: req.step } : {}),
      ...(pruned ? { state: "pruned", reason } : {}),
    };
    this.store.commit(() => {
      this.store.db.insert(reports).values({ trial: row.id, step: req.step, value: objective, metrics: JSON.stringify(req.metrics), decision: JSON.stringify({ reason, stop: reason !== null }), at: now }).run();
      this.store.trials.update(row.id, change);
    });
    if (superseded !== null) await trialResource(this.env, sweep.name, sweep.config, row)?.dropCheckpoint(superseded);
    return this.reportAnswer(sweep, { ...row, ...change }, reason);
  }

  async complete(req: CompleteRequest): Promise<TrialView> {
    const sweep = this.store.existing();
    this.expire();
    const row = this.store.trials.get(req.trial);
    if (row.leaseId === req.lease && FINAL.has(row.state)) return this.view(sweep, row);
    this.ensureLease(row, req.lease);
    const objective = req.failed === undefined ? checkedMetrics(sweep, req.metrics, "completion") : null;
    if (req.failed !== undefined) checkedCount(req.metrics);
    const now = this.store.now();
    const change: Partial<TrialRow> =
      req.failed === undefined
        ? { state: "complete", value: objective, metrics: JSON.stringify(req.metrics), leaseExpires: null, updatedAt: now }
        : { state: "failed", reason: req.failed, metrics: JSON.stringify(req.metrics), leaseExpires: null, updatedAt: now };
    this.store.commit(() => this.store.trials.update(row.id, change));
    return this.view(sweep, { ...row, ...change });
  }

  /** The answer to a report already settled: the step recorded under this lease, or a trial that ended under it. */
  private settled(sweep: LoadedSweep, id: number, lease: string, step: number): ReportAnswer | null {
    const row = this.store.trials.get(id);
    if (row.leaseId !== lease) this.ensureLease(row, lease);
    const recorded = this.store.trials.reportsOf(id).find((r) => r.step === step);
    if (recorded) return this.reportAnswer(sweep, row, (JSON.parse(recorded.decision) as { reason: string | null }).reason);
    if (FINAL.has(row.state)) return this.reportAnswer(sweep, row, `the trial is ${row.state}`);
    return null;
  }

  private ensureLease(row: TrialRow, lease: string): void {
    if (row.leaseId === lease && row.state === "running") return;
    refuse(
      "lease-lost",
      row.state === "running" || row.state === "queued"
        ? `lease '${lease}' of trial ${row.id} has ended (it expired and the trial went back to the queue); stop this trial and ask the sweep for a new one`
        : `trial ${row.id} is ${row.state} under another lease; ask the sweep for a new trial`,
      { trial: row.id, state: row.state },
    );
  }

  private reportAnswer(sweep: LoadedSweep, row: TrialRow, reason: string | null): ReportAnswer {
    return {
      decision: reason === null ? "continue" : "stop",
      reason,
      trial: this.view(sweep, row),
      lease_expires_at: row.state === "running" ? row.leaseExpires : null,
    };
  }

  private view(sweep: LoadedSweep, row: TrialRow): TrialView {
    return viewOf(row, this.store.trials.reportsOf(row.id), sweep.config.seed);
  }
}

function checkedCount(metrics: Record<string, number>): void {
  const n = Object.keys(metrics).length;
  if (n > MAX_SWEEP_METRICS) refuse("invalid-request", `${n} metrics; at most ${MAX_SWEEP_METRICS} per report`);
}

/** The objective among the metrics: present and finite. */
function checkedMetrics(sweep: LoadedSweep, metrics: Record<string, number>, what: string): number {
  checkedCount(metrics);
  const name = sweep.config.objective.metric;
  const value = metrics[name];
  if (value === undefined) refuse("invalid-request", `the ${what} has no '${name}', the sweep's objective; send metrics: {"${name}": <number>, ...}`);
  if (!Number.isFinite(value)) refuse("invalid-request", `'${name}' is ${value}; a diverged trial is ended with failed: "<why>"`);
  return value!;
}
