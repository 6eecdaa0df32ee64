import { MAX_ENSEMBLE_MEMBERS, MAX_SWEEP_REPLICATES } from "../limits";
import { refuse } from "../problems";
import { PURPOSE, stream } from "../sweeps/random";
import { ranked } from "../sweeps/space";
import type { Leases } from "./leases";
import type { SweepStore } from "./sweep-store";
import { viewOf, type TrialRow } from "./trials";
import type { TrialView } from "./types";

/** Which trials an ensemble serves: the top `k` of the search, or trial `of` with its replicates (the best trial when omitted). */
export type MemberSelection = { top: number } | { replicates_of?: number };

export interface EnsembleMember {
  trial: number;
  /** The trial's shard or model. */
  kind: "shard" | "model";
  resource: string;
  value: number | null;
  /** Its tensors, in the order they are served: a shard's one vector (named ""), or a model's tensors. */
  tensors: { name: string; shape: number[] }[];
}

/**
 * Ensembles of a sweep (the classic notes' three): the top trials of the search, and replicates
 * of one configuration under other initialisation seeds. (Averages of one trial's checkpoints are
 * its shard's own checkpoint ensemble.)
 */
export class Ensembles {
  constructor(
    private readonly store: SweepStore,
    private readonly leases: Leases,
  ) {}

  /**
   * Makes sure trial `of` (the best when omitted) has `count` replicates: new trials with its
   * parameters and seeds of their own, queued for workers. Asking again creates none: a retry is
   * safe. Answers the replicates.
   */
  replicate(count: number, of?: number): TrialView[] {
    const { store } = this;
    const sweep = store.existing();
    if (count < 1 || count > MAX_SWEEP_REPLICATES) refuse("invalid-request", `count is ${count}; ask for 1 to ${MAX_SWEEP_REPLICATES} replicates`);
    const source = this.source(of);
    if (source.replicateOf !== null) refuse("invalid-request", `trial ${source.id} is itself a replicate of trial ${source.replicateOf}; replicate that one`);
    store.commit(() => {
      const have = store.trials.all().filter((r) => r.replicateOf === source.id).length;
      for (let k = have; k < count; k++) {
        const id = store.trials.nextId();
        const initSeed = Math.floor(stream(sweep.config.seed, id, PURPOSE.init)() * 2 ** 32);
        this.leases.newTrial(sweep, id, { params: source.params, stage: source.stage, budget: source.budget, replicateOf: source.id, initSeed });
      }
    });
    return store.trials.all().filter((r) => r.replicateOf === source.id).map((r) => viewOf(r, store.trials.reportsOf(r.id), sweep.config.seed));
  }

  /** The members of an ensemble: complete trials with a shard, best first. */
  members(selection: MemberSelection): EnsembleMember[] {
    const { store } = this;
    const sweep = store.existing();
    if (sweep.config.template === null) refuse("invalid-request", "this sweep has no template, so its trials have no weights on the server to serve; the client keeps them");
    const rows = store.trials.all();
    let chosen: TrialRow[];
    if ("top" in selection) {
      if (selection.top < 1 || selection.top > MAX_ENSEMBLE_MEMBERS) refuse("invalid-request", `top is ${selection.top}; 1 to ${MAX_ENSEMBLE_MEMBERS}`);
      const best = ranked(store.trials.records(rows), sweep.plan.direction).slice(0, selection.top);
      chosen = best.map((t) => rows.find((r) => r.searchIndex === t.number)!);
    } else {
      const source = this.source(selection.replicates_of);
      chosen = [source, ...rows.filter((r) => r.replicateOf === source.id && r.state === "complete")].slice(0, MAX_ENSEMBLE_MEMBERS);
    }
    if (chosen.length === 0) refuse("not-found", "no complete trial yet; an ensemble needs finished trials");
    const template = sweep.config.template!;
    const tensors = "shard" in template ? [{ name: "", shape: [template.shard.length] }] : template.model.tensors.map((t) => ({ name: t.name, shape: t.shape }));
    return chosen.map((r): EnsembleMember => ({ trial: r.id, kind: "shard" in template ? "shard" : "model", resource: r.shard!, value: r.value, tensors }));
  }

  private source(of: number | undefined): TrialRow {
    const { store } = this;
    const sweep = store.existing();
    if (of !== undefined) {
      const row = store.trials.get(of);
      if (row.state !== "complete") refuse("invalid-request", `trial ${of} is ${row.state}; only a complete trial can be replicated or served`);
      return row;
    }
    const rows = store.trials.all();
    const best = ranked(store.trials.records(rows), sweep.plan.direction)[0];
    if (!best) refuse("not-found", "no complete trial yet: the best trial is replicated once one has completed");
    return rows.find((r) => r.searchIndex === best!.number)!;
  }
}
