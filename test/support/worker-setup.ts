import type { TestProject } from "vitest/node";
import { goldenTrajectories, hyperScheduleTrajectories, notesTrajectories } from "./golden-subset";
import type {} from "./seed-env";
import { loadGoldenJson } from "./golden";
import type { GoldenCase } from "./lbfgs-golden";

/**
 * The host's variables a worker test may read (seed-env.ts): `*_SEED` and `*_RUNS`. Not in
 * seed-env.ts, which imports vitest: a global setup that does fails when two projects share it.
 */
const seedVariables = (env: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => /_(SEED|RUNS)$/.test(e[0]) && e[1] !== undefined));

/** Runs in Node before the workerd tests: hands them the PyTorch trajectories and the notes' forms of SGD (workerd has no fs) and the seeds asked for (seed-env.ts). */
export default function setup(project: TestProject) {
  project.provide("goldenTrajectories", goldenTrajectories());
  project.provide("hyperScheduleTrajectories", hyperScheduleTrajectories());
  project.provide("notesTrajectories", notesTrajectories());
  project.provide("lbfgsCases", loadGoldenJson<{ cases: GoldenCase[] }>("lbfgs.json").cases);
  project.provide("seedEnv", seedVariables(process.env));
}
