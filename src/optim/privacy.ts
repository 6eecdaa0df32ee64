import { seededNormal } from "./init";

/**
 * The Gaussian mechanism on a round's combined update (DP-FedAvg, McMahan et al. 2018): each push
 * is clipped to L2 norm `clip`, so one client moves the mean of n pushes by at most clip / n, and
 * noise of standard deviation `multiplier * clip / n` is added to every coordinate of the mean.
 */
export function gaussianNoiseStd(multiplier: number, clip: number, pushes: number): number {
  return (multiplier * clip) / pushes;
}

/** A round's own 32-bit seed, derived from the configured seed and the round number (a murmur3 finalizer). */
export function roundSeed(seed: number, round: number): number {
  let h = (seed ^ Math.imul(round, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Adds N(0, std²) to every element of `target`, drawn from `seed`. */
export function addGaussianNoise(target: Float32Array, std: number, seed: number): void {
  if (std === 0) return;
  const normal = seededNormal(seed);
  for (let i = 0; i < target.length; i++) target[i] = target[i]! + std * normal();
}
