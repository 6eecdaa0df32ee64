import { DurableObject } from "cloudflare:workers";
import migrations from "../../migrations/sweep/migrations.js";
import { catalogClient } from "../catalog/client";
import { resolveSweepConfig } from "../config/sweep";
import { sameConfig } from "../config";
import { answer, type Outcome } from "../durable/outcome";
import { startWithMigrations, type Startup } from "../durable/startup";
import { refuse } from "../problems";
import { Ensembles, type MemberSelection } from "./ensembles";
import { Leases } from "./leases";
import { trialResource } from "./provision";
import { Results } from "./results";
import { SweepStore } from "./sweep-store";
import type { AskRequest, CompleteRequest, ReportRequest } from "./types";
import { SweepViews } from "./view";


/**
 * A sweep's master, one Durable Object per sweep (docs/sweeps.md): it decides every trial's
 * parameters from the seed and the results, leases trials to workers, judges their reports,
 * requeues the trials of workers that stopped reporting (an alarm at the earliest lease's
 * expiry), and serves the table, plots and ensembles. Each method answers an Outcome.
 */
export class SweepObject extends DurableObject<Env> {
  private readonly startup: Startup;
  private readonly store: SweepStore;
  private readonly leases: Leases;
  private readonly results: Results;
  private readonly views: SweepViews;
  private readonly ensembles: Ensembles;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const { db, startup } = startWithMigrations(ctx, migrations);
    this.startup = startup;
    this.store = new SweepStore(ctx.storage, db);
    this.leases = new Leases(this.store, env);
    this.results = new Results(this.store, env, () => this.leases.expire());
    this.views = new SweepViews(this.store);
    this.ensembles = new Ensembles(this.store, this.leases);
  }

  /** Runs an operation once started; then sets the alarm for the earliest lease still running. */
  private async run<T>(f: () => T | Promise<T>): Promise<Outcome<T>> {
    await this.startup.ready();
    const outcome = await answer(f);
    await this.schedule();
    return outcome;
  }

  private async schedule(): Promise<void> {
    if (this.store.current() === null) return;
    const earliest = this.leases.expire();
    if (earliest !== null && (await this.ctx.storage.getAlarm()) !== earliest) await this.ctx.storage.setAlarm(earliest);
  }

  override async alarm(): Promise<void> {
    await this.startup.ready();
    await this.schedule();
  }

  /** Creates the sweep; the same configuration again is a no-op (created: false), another one is refused. */
  create(name: string, input: unknown) {
    return this.run(async () => {
      const config = resolveSweepConfig(name, input);
      const current = this.store.current();
      if (current) {
        if (sameConfig(current.config as never, config as never)) {
          // Registered again: a creation whose registration failed is completed by a re-PUT.
          await catalogClient(this.env).registerSweep(name);
          return { created: false, sweep: this.views.sweep() };
        }
        refuse("sweep-conflict", `sweep '${name}' exists with another configuration; DELETE it first (its trials' shards go with it) or choose another name`);
      }
      this.store.commit(() => this.store.save(name, config, Date.now()));
      await catalogClient(this.env).registerSweep(name);
      return { created: true, sweep: this.views.sweep() };
    });
  }

  info() {
    return this.run(() => this.views.sweep());
  }

  trials() {
    return this.run(() => this.views.trials());
  }

  trial(id: number) {
    return this.run(() => this.views.trial(id));
  }

  ask(req: AskRequest) {
    return this.run(() => this.leases.ask(req));
  }

  report(req: ReportRequest) {
    return this.run(() => this.results.report(req));
  }

  complete(req: CompleteRequest) {
    return this.run(() => this.results.complete(req));
  }

  replicate(count: number, of?: number) {
    return this.run(() => this.ensembles.replicate(count, of));
  }

  members(selection: MemberSelection) {
    return this.run(() => this.ensembles.members(selection));
  }

  objectivePlot(param: string) {
    return this.run(() => this.views.objectivePlot(param));
  }

  curvesPlot() {
    return this.run(() => this.views.curvesPlot());
  }

  /** Deletes the sweep and its trials' shards (each deletion is idempotent: a retry after a crash finishes the job). */
  destroy() {
    return this.run(async () => {
      const sweep = this.store.existing();
      for (const row of this.store.trials.all()) await trialResource(this.env, sweep.name, sweep.config, row)?.destroy();
      await this.ctx.storage.deleteAlarm();
      this.store.commit(() => this.store.forget());
      await catalogClient(this.env).forgetSweep(sweep.name);
      return { deleted: true as const };
    });
  }
}
