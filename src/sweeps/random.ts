/**
 * Seeded streams for the sweeps: the draws of a sweep depend only on its seed and on which stream
 * asks (the trial's number, the purpose), never on timing or Math.random. splitmix32 mixes the
 * stream's coordinates into one 32-bit state; mulberry32 (as in src/optim/init.ts) draws from it.
 */
import { seededUniform } from "../optim/init";

function mix(h: number, x: number): number {
  h = (h ^ (x >>> 0)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Uniform draws in [0, 1) from the stream named by `seed` and `coordinates` (e.g. trial number, purpose). */
export function stream(seed: number, ...coordinates: number[]): () => number {
  let h = mix(0x9e3779b9, seed);
  for (const c of coordinates) h = mix(h + 0x9e3779b9, c);
  return seededUniform(h);
}

/** Standard normal draws from a uniform stream (Box–Muller). */
export function normal(uniform: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Purposes of the streams of one trial, so that no two consumers share draws. */
export const PURPOSE = { sample: 1, tpe: 2, grid: 3, init: 4 } as const;
