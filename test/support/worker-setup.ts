import type { TestProject } from "vitest/node";
import { goldenTrajectories, hyperScheduleTrajectories, notesTrajectories } from "./golden-subset";
import { seedVariables } from "./seed-env";
import { loadGoldenJson } from "./golden";
import type { GoldenCase } from "./lbfgs-golden";

/** Runs in Node before the workerd tests: hands them the PyTorch trajectories and the notes' forms of SGD (workerd has no fs) and the seeds asked for (seed-env.ts). */
export default function setup(project: TestProject) {
  project.provide("goldenTrajectories", goldenTrajectories());
  project.provide("hyperScheduleTrajectories", hyperScheduleTrajectories());
  project.provide("notesTrajectories", notesTrajectories());
  project.provide("lbfgsCases", loadGoldenJson<{ cases: GoldenCase[] }>("lbfgs.json").cases);
  project.provide("seedEnv", seedVariables(process.env));
}
