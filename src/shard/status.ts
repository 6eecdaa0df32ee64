import type { Rounds } from "./rounds/rounds";
import { nextLearningRate, nextScheduledValues } from "./store/resident";
import type { ShardStore } from "./store/store";
import type { ShardStatus } from "./types";

/** GET /v1/shards/{shard}/status: mode, version, the open round and what the shard has seen (counts, never who). */
export class Status {
  constructor(
    private readonly store: ShardStore,
    private readonly rounds: Rounds,
  ) {}

  status(): ShardStatus {
    const resident = this.store.existing();
    const { meta } = resident;
    const { stats } = meta;
    const { aggregation } = meta.config;
    const open = this.rounds.open(resident);
    const applied = stats.staleness_histogram.reduce((a, b) => a + b, 0);
    return {
      name: meta.name,
      mode: aggregation.mode,
      version: meta.version,
      revision: meta.revision,
      lr: nextLearningRate(meta),
      hyper_in_force: nextScheduledValues(meta),
      round:
        open && aggregation.mode === "rounds"
          ? {
              number: open.number,
              contributors: open.contributors,
              quorum: aggregation.quorum,
              sample_count: open.sample_count,
              opened_at: open.opened_at,
              deadline: open.deadline,
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
        histogram: [...stats.staleness_histogram],
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
}
