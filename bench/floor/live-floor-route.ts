/**
 * The socket floor's route and what its client needs to know (bench/floor/live-floor.ts serves
 * it; bench/e2e.ts, bench/soak.ts (`--floor`) and test/e2e/bench-floor.e2e.test.ts open it). Plain TypeScript: Node imports it.
 *
 * GET /bench/floor-live/{shard}?answer=minimal|weights upgrades to a WebSocket that speaks the
 * frames of a live session (src/formats/live-frames.ts): a welcome first, then one answer frame
 * per push frame, once that push is durable. GET /bench/floor-live/{shard}/stored answers what the
 * floor wrote (LiveFloorStored).
 */

export const LIVE_FLOOR_ROUTE = "/bench/floor-live";

/** What a push frame's answer holds: its key and version alone, or the 4 KiB vector too. */
export const LIVE_FLOOR_ANSWERS = ["minimal", "weights"] as const;
export type LiveFloorAnswer = (typeof LIVE_FLOOR_ANSWERS)[number];

/** The floats of every push frame's payload: the 1K shard of bench:e2e's (b) and (d). */
export const LIVE_FLOOR_FLOATS = 1024;

/** What the floor of one object wrote: its counts, its newest keys (oldest first) and its newest vector. */
export interface LiveFloorStored {
  pushes: number;
  writes: number;
  keys: string[];
  vector: number[];
}

/** How many of the newest keys `stored` answers. */
export const LIVE_FLOOR_LISTED_KEYS = 64;

/** The socket floor's URL on a server (http → ws). */
export function liveFloorUrl(baseUrl: string, shard: string, answer: LiveFloorAnswer): string {
  return `${baseUrl.replace(/^http/, "ws")}${LIVE_FLOOR_ROUTE}/${encodeURIComponent(shard)}?answer=${answer}`;
}

/** The pushes and write transactions the floor's object `shard` has counted (its `stored` route). */
export async function liveFloorCounts(baseUrl: string, shard: string, token: string): Promise<{ pushes: number; writes: number }> {
  const res = await fetch(`${baseUrl}${LIVE_FLOOR_ROUTE}/${encodeURIComponent(shard)}/stored`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`the socket floor's counts: ${res.status} ${await res.text()}`);
  const { pushes, writes } = (await res.json()) as LiveFloorStored;
  return { pushes, writes };
}
