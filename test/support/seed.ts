/**
 * The seed of a file's property tests (fast-check). Fixed by default, so every run draws the same
 * inputs and a failure is a failure of the code, not of the draw; the environment variable picks
 * another seed (a 32-bit integer, or `random` for a fresh one). Printed once per file, with the variable
 * that reproduces the run:
 *
 *   const SEED = propertySeed("FAST_ENGINE_SEED", 20_240_611);
 *   fc.assert(property, { seed: SEED, numRuns });
 */
export function propertySeed(envVar: string, fallback: number): number {
  const raw = process.env[envVar]?.trim();
  const seed = !raw ? fallback : raw === "random" ? (Math.random() * 2 ** 32) | 0 : Number(raw);
  if ((seed | 0) !== seed) throw new Error(`${envVar}=${raw}: a 32-bit integer or "random"`);
  console.log(`fast-check seed ${seed} (${envVar}=${seed} reproduces this run; ${envVar}=random draws another)`);
  return seed;
}
