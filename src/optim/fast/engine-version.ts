/**
 * The version of the update kernels' arithmetic: bumped whenever a change to a kernel, a rule's fast
 * plan or a reference transform the engine runs could change the bits of any step. A shard's
 * gradient log records it with every step (src/shard/store/gradient-log.ts), since a replay is
 * bit-identical only through the kernels that took the steps; test/math/kernel-bits.test.ts pins
 * every rule's output bits to this number, so a change of a kernel cannot go unnoticed.
 */
export const ENGINE_VERSION = 1;
