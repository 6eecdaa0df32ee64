import type { PlateauState } from "../optim";
import { STALENESS_BUCKETS } from "../shard/stats";
import { isoOrNull, isoTime } from "../shard/summary";
import type { Checkpoint, ConfigChange, ConfigHistoryEntry, MetricResult, ShardInfo, ShardStatus, Stamp } from "../shard/types";

export { isoTime, presentReceipt, presentSummary } from "../shard/summary";

/**
 * The shard's answers as the API presents them: times as ISO 8601, the status histogram with its
 * buckets' bounds, a plateau's `best` as null until a metric came (JSON has no infinity). The shard
 * answers times as milliseconds since the epoch; an ISO string (an older record, or an object of the
 * previous release) is passed on as it is.
 */
export const presentPlateau = (p: PlateauState | null) => (p === null ? null : { ...p, best: Number.isFinite(p.best) ? p.best : null });

export const presentInfo = (info: ShardInfo) => ({
  ...info,
  plateau: presentPlateau(info.plateau),
  created_at: isoTime(info.created_at),
  updated_at: isoTime(info.updated_at),
});

type HyperValue = number | boolean | string | number[];

const isHyperValue = (v: unknown): v is HyperValue =>
  typeof v === "number" || typeof v === "boolean" || typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "number"));

/** Hyperparameters as recorded: what a PATCH sent (the shard accepted them, so each is a hyperparameter's value), or a restore's. */
const hyperValues = (recorded: Readonly<Record<string, unknown>>): Record<string, HyperValue> =>
  Object.fromEntries(Object.entries(recorded).filter((e): e is [string, HyperValue] => isHyperValue(e[1])));

/** A change of the configuration with its kind: a live change (PATCH) or the restore of a checkpoint. */
function presentChange(change: ConfigChange) {
  if ("restored_checkpoint" in change) return { kind: "restore" as const, ...change, hyper: hyperValues(change.hyper) };
  const { hyper, ...rest } = change;
  return { kind: "patch" as const, ...rest, ...(hyper === undefined ? {} : { hyper: hyperValues(hyper) }) };
}

export const presentHistory = (entries: readonly ConfigHistoryEntry[]) => entries.map((e) => ({ ...e, change: presentChange(e.change), at: isoTime(e.at) }));

export const presentCheckpoint = (c: Checkpoint) => ({ ...c, created_at: isoTime(c.created_at) });

export const presentMetric = (m: MetricResult) => ({ ...m, plateau: presentPlateau(m.plateau) });


export function presentStatus(s: ShardStatus) {
  const last = s.rounds.last;
  return {
    ...s,
    round: s.round === null ? null : { ...s.round, opened_at: isoOrNull(s.round.opened_at), deadline: isoOrNull(s.round.deadline) },
    staleness: { ...s.staleness, histogram: s.staleness.histogram.map((count, i) => ({ le: STALENESS_BUCKETS[i] ?? null, count })) },
    rounds: { ...s.rounds, last: last === null ? null : { ...last, closed_at: isoTime(last.closed_at) } },
  };
}

type TrialLike = { created_at: Stamp; updated_at: Stamp };

/** A sweep's trial as the API presents it (times ISO 8601). */
export const presentTrial = <T extends TrialLike>(t: T) => ({ ...t, created_at: isoTime(t.created_at), updated_at: isoTime(t.updated_at) });

export const presentSweep = <S extends { best: TrialLike | null; created_at: Stamp }>(s: S) => ({
  ...s,
  best: s.best === null ? null : presentTrial(s.best),
  created_at: isoTime(s.created_at),
});

export function presentLease<A extends { status: string }>(a: A) {
  if (a.status !== "leased") return a;
  const leased = a as unknown as { trial: TrialLike; lease: { id: string; expires_at: Stamp } };
  return { ...a, trial: presentTrial(leased.trial), lease: { ...leased.lease, expires_at: isoTime(leased.lease.expires_at) } };
}

export const presentReport = <T extends TrialLike, R extends { trial: T; lease_expires_at: Stamp | null }>(r: R & { trial: T }) => ({
  ...r,
  trial: presentTrial(r.trial),
  lease_expires_at: isoOrNull(r.lease_expires_at),
});
