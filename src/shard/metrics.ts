import { observeMetric } from "../optim";
import { refuse } from "../problems";
import { saveCounters } from "./store/meta";
import { nextLearningRate } from "./store/resident";
import type { ShardStore } from "./store/store";
import type { MetricResult } from "./types";

/** Reported metrics (a validation loss, ...): recorded, and the clock of a reduce-on-plateau schedule. */
export class Metrics {
  constructor(private readonly store: ShardStore) {}

  report(value: number, clientId: string | undefined): MetricResult {
    const { store } = this;
    const { meta } = store.existing();
    if (!Number.isFinite(value)) refuse("non-finite", `the metric must be a finite number, got ${value}`);
    const { schedule } = meta.config;
    if (schedule.type === "plateau" && meta.plateau) meta.plateau = observeMetric(schedule, meta.plateau, value);
    store.commit(() => {
      store.sql.exec("INSERT INTO metrics (version, value, client_id, at) VALUES (?, ?, ?, ?)", meta.version, value, clientId ?? null, store.now());
      saveCounters(store.sql, meta);
      // A replay takes each step's own lr: the plateau's state need not be written with the pages.
    }, "keep");
    return { version: meta.version, lr: nextLearningRate(meta), plateau: meta.plateau };
  }
}
