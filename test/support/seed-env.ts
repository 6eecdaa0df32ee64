import { inject } from "vitest";
import { propertySeed } from "./seed";

/**
 * Seeds of property tests that run inside workerd, which sees no host environment: the worker
 * project's global setup (worker-setup.ts) hands over the host's `*_SEED` and `*_RUNS` variables.
 */
declare module "vitest" {
  export interface ProvidedContext {
    seedEnv: Record<string, string>;
  }
}

/** propertySeed (seed.ts) inside workerd: the same default, variable and printed line. */
export function workerSeed(envVar: string, fallback: number): number {
  Object.assign(process.env, inject("seedEnv"));
  return propertySeed(envVar, fallback);
}

/** A count a worker test may be asked to change (e.g. FUZZ_RUNS), else its default. */
export const workerCount = (envVar: string, fallback: number): number => Number(inject("seedEnv")[envVar] ?? fallback);
