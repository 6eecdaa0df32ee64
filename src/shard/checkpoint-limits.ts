/**
 * Limits of checkpoints. A checkpoint stores the vectors a shard keeps resident but the gradient
 * scratch, so it is smaller than the resident budget (64 MiB): 64 checkpoints stay within 4 GiB of
 * the 10 GB a Durable Object may store, beside the live state and an open round's pushes.
 */

/** Checkpoints kept per shard; an ensemble averages at most this many. */
export const MAX_CHECKPOINTS = 64;

/** Characters in a checkpoint's label. */
export const MAX_CHECKPOINT_LABEL = 128;

/** Production storage of one Durable Object (SQLite-backed). */
export const OBJECT_STORAGE_BYTES = 10_000_000_000;
