import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import type { ShardStore } from "../../../src/shard/store/store";
import { liveVectors } from "../../../src/shard/store/resident";
import { stepSlot, type LoggedStep } from "../../../src/shard/store/gradient-log";

/** What a shard holds in memory, as bits: every live vector (weights, slots, averages) and the counters a step moves. */
export interface ResidentBits {
  vectors: Record<string, number[]>;
  counters: { version: number; step: number; revision: number; scalars: Record<string, number>; averageCounts: Record<string, number> };
}

/** The store of the shard's object (started), for reading inside it. */
export const storeOf = (instance: unknown): Promise<ShardStore> => {
  const object = instance as { startup: { ready(): Promise<void> }; store: ShardStore };
  return object.startup.ready().then(() => object.store);
};

/**
 * The shard's resident state as bits, read inside its object: after a crash this is what the
 * object rebuilt from storage (the pages, and the gradient log replayed).
 */
export function residentBits(name: string): Promise<ResidentBits> {
  const stub = env.SHARDS.get(env.SHARDS.idFromName(name));
  return runInDurableObject(stub, async (instance: unknown) => {
    const resident = (await storeOf(instance)).existing();
    const vectors = Object.fromEntries(liveVectors(resident).map(([slot, v]) => [slot, Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length))]));
    const { version, step, revision, scalars, averageCounts } = resident.meta;
    return { vectors, counters: { version, step, revision, scalars, averageCounts } };
  });
}

/**
 * Steps and gradient bytes in the shard's stored log; `pages` are its steps' gradient pages, `ring`
 * every gradient page stored (the ring's places stay between logs, to be overwritten).
 */
export function storedLog(name: string): Promise<{ steps: number; bytes: number; pages: number; ring: number }> {
  const stub = env.SHARDS.get(env.SHARDS.idFromName(name));
  return runInDurableObject(stub, (_instance: unknown, state: DurableObjectState) => {
    const sql = state.storage.sql;
    const steps = sql.exec<{ bytes: number; record: string }>("SELECT bytes, record FROM gradient_log").toArray();
    const pagesOf = (slot: string) => sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM pages WHERE slot = ?", slot).one().n;
    const pages = steps.reduce((sum, row) => sum + pagesOf(stepSlot(JSON.parse(row.record) as LoggedStep)), 0);
    const ring = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM pages WHERE slot LIKE 'log:%'").one().n;
    return { steps: steps.length, bytes: steps.reduce((sum, row) => sum + row.bytes, 0), pages, ring };
  });
}
