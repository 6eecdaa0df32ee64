import type { LbfgsPushOutcome, Stamp } from "./types";

/**
 * What a shard has seen, for its status endpoint: counts only (never who pushed). Refused pushes
 * change nothing, so they are not counted here.
 */
export interface ShardStats {
  /** Pushes accepted: applied at once (async) or counted in a round. */
  pushes: number;
  /** Transactions that wrote applied async pushes: pushes that arrive together share one (group commit). */
  writes: number;
  /** Staleness of accepted async pushes: sum, maximum, and how many the policy scaled down. */
  staleness_sum: number;
  staleness_max: number;
  stale_scaled: number;
  /** Pushes per bucket of STALENESS_BUCKETS: staleness 0, 1, 2-3, 4-7, 8-15 and 16 or more versions. */
  staleness_histogram: [number, number, number, number, number, number];
  rounds_closed: number;
  closed_by_quorum: number;
  closed_by_deadline: number;
  /** Late pushes counted in the open round (aggregation.late = roll). */
  late_rolled: number;
  last_round: { round: number; pushes: number; reason: CloseReason; closed_at: Stamp } | null;
  /** lbfgs in rounds mode: the last round's closure call, answered to pushes that waited for it (not shown in the status). */
  last_closure?: LbfgsPushOutcome & { round: number; version: number };
}

export type CloseReason = "quorum" | "deadline";

export function emptyStats(): ShardStats {
  return {
    pushes: 0,
    writes: 0,
    staleness_sum: 0,
    staleness_max: 0,
    stale_scaled: 0,
    staleness_histogram: [0, 0, 0, 0, 0, 0],
    rounds_closed: 0,
    closed_by_quorum: 0,
    closed_by_deadline: 0,
    late_rolled: 0,
    last_round: null,
  };
}

/** The upper bound of each bucket of the staleness histogram (null: none). */
export const STALENESS_BUCKETS: readonly (number | null)[] = [0, 1, 3, 7, 15, null];

/** Counts one accepted async push of `staleness` versions. */
export function countStaleness(stats: ShardStats, staleness: number, scaled: boolean): void {
  stats.pushes += 1;
  stats.staleness_sum += staleness;
  stats.staleness_max = Math.max(stats.staleness_max, staleness);
  if (scaled) stats.stale_scaled += 1;
  const bucket = staleness === 0 ? 0 : Math.min(5, Math.floor(Math.log2(staleness)) + 1);
  stats.staleness_histogram[bucket] = stats.staleness_histogram[bucket]! + 1;
}
