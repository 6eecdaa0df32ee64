import { trialsOf } from "../config/sweep";
import { boundaryWarnings } from "../sweeps/boundary";
import { stageSpaces, trialLimit } from "../sweeps/plan";
import { learningCurves, objectivePlot } from "../sweeps/plots";
import { ranked, type Space } from "../sweeps/space";
import { refuse } from "../problems";
import type { LoadedSweep, SweepStore } from "./sweep-store";
import { viewOf } from "./trials";
import type { StageView, SweepView, TrialState, TrialView } from "./types";

const STATES: readonly TrialState[] = ["queued", "running", "complete", "pruned", "failed"];

/** The master's view of its sweep: the table, the best trial, boundary warnings, stages, plots. */
export class SweepViews {
  constructor(private readonly store: SweepStore) {}

  sweep(): SweepView {
    const sweep = this.store.existing();
    const rows = this.store.trials.all();
    const curves = this.store.trials.curves();
    const records = this.store.trials.records(rows, curves);
    const counts = Object.fromEntries(STATES.map((s) => [s, rows.filter((r) => r.state === s).length])) as Record<TrialState, number>;
    const best = ranked(records, sweep.plan.direction)[0];
    const bestRow = best === undefined ? undefined : rows.find((r) => r.searchIndex === best.number);
    const searchDone = records.length >= trialLimit(sweep.plan);
    const idle = counts.queued + counts.running === 0;
    return {
      name: sweep.name,
      config: sweep.config,
      state: searchDone && idle ? "done" : "running",
      counts,
      trials: trialsOf(sweep.config),
      best: bestRow ? viewOf(bestRow, curves.get(bestRow.id) ?? [], sweep.config.seed) : null,
      warnings: boundaryWarnings(sweep.plan.space, records, sweep.plan.direction),
      stages: this.stages(sweep, records),
      created_at: sweep.createdAt,
    };
  }

  trials(): TrialView[] {
    const sweep = this.store.existing();
    const curves = this.store.trials.curves();
    return this.store.trials.all().map((r) => viewOf(r, curves.get(r.id) ?? [], sweep.config.seed));
  }

  trial(id: number): TrialView & { curve: { step: number; value: number; metrics: Record<string, number> }[] } {
    const sweep = this.store.existing();
    const row = this.store.trials.get(id);
    const reports = this.store.trials.reportsOf(id);
    return { ...viewOf(row, reports, sweep.config.seed), curve: reports.map((r) => ({ step: r.step, value: r.value, metrics: JSON.parse(r.metrics) })) };
  }

  /** The objective against one parameter (log axis for a log-scaled one), as SVG. */
  objectivePlot(param: string): string {
    const sweep = this.store.existing();
    const p = sweep.plan.space.find((q) => q.name === param) ?? refuse("not-found", `the sweep has no parameter '${param}'; it has ${sweep.plan.space.map((q) => q.name).join(", ")}`);
    return objectivePlot(p, this.store.trials.records(), { direction: sweep.plan.direction, objective: sweep.config.objective.metric });
  }

  /** The learning curves of the search's trials, as SVG. */
  curvesPlot(): string {
    const sweep = this.store.existing();
    return learningCurves(this.store.trials.records(), { direction: sweep.plan.direction, objective: sweep.config.objective.metric });
  }

  private stages(sweep: LoadedSweep, records: ReturnType<SweepStore["trials"]["records"]>): StageView[] {
    const algorithm = sweep.config.algorithm;
    const stages = algorithm.kind === "coarse_to_fine" ? algorithm.stages : [{ trials: trialsOf(sweep.config), budget: sweep.config.budget.resource }];
    const spaces = stageSpaces(sweep.plan, records);
    return stages.map((s, i) => ({ stage: i, trials: s.trials, budget: s.budget, ranges: rangesOf(spaces[i] ?? spaces[spaces.length - 1] ?? sweep.plan.space), started: records.some((r) => r.stage === i) }));
  }
}

function rangesOf(space: Space): StageView["ranges"] {
  return Object.fromEntries(space.map((p) => [p.name, p.spec.kind === "choice" ? { values: [...p.spec.values] } : { low: p.spec.low, high: p.spec.high }]));
}
