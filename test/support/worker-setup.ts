import type { TestProject } from "vitest/node";
import { goldenTrajectories } from "./golden-subset";

/** Runs in Node before the workerd tests: hands them the PyTorch trajectories (workerd has no fs). */
export default function setup(project: TestProject) {
  project.provide("goldenTrajectories", goldenTrajectories());
}
