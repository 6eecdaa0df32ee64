import type { PushSummary, RoundReceipt, Stamp } from "./types";

/**
 * A push's summary as clients read it, over HTTP (src/edge/present.ts re-exports these) and in a live
 * session's answer and receipt frames: times as ISO 8601. The shard answers times as milliseconds
 * since the epoch; an ISO string (an older record, or an object of the previous release) is passed on as it is.
 */
export const isoTime = (t: Stamp): string => (typeof t === "string" ? t : new Date(t).toISOString());

export const isoOrNull = (t: Stamp | null): string | null => (t === null ? null : isoTime(t));

export const presentReceipt = (r: RoundReceipt) => ({ ...r, deadline: isoOrNull(r.deadline) });

/** A push's summary (without its weights), its round receipt presented. */
export function presentSummary<S extends PushSummary & { weights?: unknown; point?: unknown }>(s: S) {
  const { weights: _weights, point: _point, round, ...summary } = s;
  return round === undefined ? summary : { ...summary, round: presentReceipt(round) };
}
