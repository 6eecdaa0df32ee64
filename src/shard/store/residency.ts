import { ISOLATE_RESIDENT_BUDGET_BYTES } from "../../limits";

/** A shard's resident state as the isolate's budget sees it. */
export interface Tenant {
  readonly bytes: number;
  /** Whether it can be dropped now: no request of its shard is under way. */
  idle(): boolean;
  /** Drops it (the shard reloads from storage on its next request). */
  evict(): void;
}

/**
 * The resident memory of every shard in this isolate, against one budget. Module scope on purpose:
 * production packs many objects into one 128 MB isolate, and each object alone would not see the
 * others. Least recently used first (a Set keeps insertion order; a use moves a tenant to the end).
 * Evicting loses nothing: every acknowledged change is in storage.
 */
const tenants = new Set<Tenant>();
let total = 0;

/** Counts `tenant` in, evicting the least recently used idle tenants until the budget holds (or none is idle). */
export function admit(tenant: Tenant, budget = ISOLATE_RESIDENT_BUDGET_BYTES): void {
  if (!tenants.has(tenant)) total += tenant.bytes;
  touch(tenant);
  for (const other of tenants) {
    if (total <= budget) break;
    if (other !== tenant && other.idle()) {
      release(other);
      other.evict();
    }
  }
}

/** Marks a use: `tenant` is now the most recently used. */
export function touch(tenant: Tenant): void {
  tenants.delete(tenant);
  tenants.add(tenant);
}

/** Counts `tenant` out (dropped, replaced or deleted). */
export function release(tenant: Tenant): void {
  if (tenants.delete(tenant)) total -= tenant.bytes;
}

/** Resident bytes in this isolate, and how many shards hold them. */
export const residency = (): { bytes: number; shards: number } => ({ bytes: total, shards: tenants.size });
