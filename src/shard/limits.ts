/**
 * Limits asserted in our own code because local workerd does not enforce them (platform.md):
 * SQLite rows of at most 2 MB, isolates of 128 MB shared by the objects in them, RPC arguments and
 * returns of at most 32 MiB.
 */

/** Largest page: 1 MiB of float32, well under the 2 MB SQLite row limit. */
export const MAX_PAGE_FLOATS = 262_144;
export const SQLITE_MAX_ROW_BYTES = 2_000_000;

/** Bound parameters one SQL statement may take in production. */
export const MAX_SQL_PARAMETERS = 100;
/** Page rows per INSERT: each takes 3 bound parameters (slot, page, data). */
export const PAGE_ROWS_PER_STATEMENT = Math.floor(MAX_SQL_PARAMETERS / 3);

/** WebAssembly memory one shard may keep resident (weights, gradient, slots, averages). */
export const RESIDENT_BUDGET_BYTES = 64 * 1024 * 1024;

/** Longest shard whatever its rule: 16 MiB per vector. */
export const MAX_SHARD_LENGTH = 4_194_304;

/** Largest binary body (a gradient or weights): one vector of the longest shard. */
export const MAX_BODY_BYTES = MAX_SHARD_LENGTH * 4;

/** Worker ↔ Durable Object RPC: per argument and per return value. */
export const RPC_MAX_BYTES = 32 * 1024 * 1024;

/** JSON number arrays are for small payloads: 30-60x the cost of the update itself. */
export const MAX_JSON_FLOATS = 65_536;

/** Largest JSON body (configuration, metrics, small gradients). */
export const MAX_JSON_BODY_BYTES = 2 * 1024 * 1024;

/** Named running averages per shard. */
export const MAX_AVERAGES = 4;

/** Idempotency records kept per shard (oldest dropped first). */
export const LEDGER_CAPACITY = 10_000;

/** Clients in one round of a rounds-mode shard (its quorum). */
export const MAX_ROUND_CLIENTS = 256;

/** Memory a round's close may hold: one page of every push at once (median and trimmed mean need all). */
export const ROUND_CLOSE_BUDGET_BYTES = 32 * 1024 * 1024;

/** Longest a push may wait for its round to close (Prefer: wait), and a read for a new revision. */
export const MAX_WAIT_SECONDS = 30;

/** Round deadlines: at least 100 ms, at most 7 days after the round's first push. */
export const MIN_DEADLINE_MS = 100;
export const MAX_DEADLINE_MS = 7 * 24 * 3600 * 1000;

/** Models: parameters in all (12 Mi floats, 48 MiB of float32), tensors, and shards a push fans out to. */
export const MAX_MODEL_PARAMETERS = 12 * 1024 * 1024;
export const MAX_MODEL_TENSORS = 4096;
export const MAX_MODEL_SHARDS = 1024;
/** A model's safetensors body: its float32 data and a header of at most 1 MiB. */
export const MAX_MODEL_BODY_BYTES = MAX_MODEL_PARAMETERS * 4 + 1024 * 1024;
/** Floats per shard of a model unless its manifest says otherwise: one 1 MiB page per vector. */
export const DEFAULT_MODEL_SHARD_SIZE = 262_144;
