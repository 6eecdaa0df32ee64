import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { SHARED_RUNTIME_FILES } from "./test/support/shared-runtime.js";

// Every answer of the worker and e2e tests is validated against openapi.yaml (test/support/contract):
// a violation fails the test file; CONTRACT_MODE=collect records them instead (with
// CONTRACT_REPORT=<file> the reporter writes them there), for surveying a spec.
const contract = {
  setupFiles: ["test/support/contract/file-tally.ts"],
  provide: { contractMode: process.env.CONTRACT_MODE === "collect" ? ("collect" as const) : ("throw" as const) },
};

function workerProject(name: string, files: { include: string[]; exclude?: string[]; isolate?: boolean }) {
  return {
    plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" }, miniflare: { bindings: { AUTH_SECRET: "vitest-only-auth-secret-7c1e5a93d2b84f06" } } })],
    test: {
      name,
      // A test's first request to a new object class starts it (and runs its migrations): seconds on a loaded machine.
      testTimeout: 20_000,
      globalSetup: ["test/support/worker-setup.ts"],
      ...files,
      ...contract,
    },
  };
}

// The pure math runs in plain Node (fast); only what needs workerd runs in the pool; e2e runs wrangler dev.
export default defineConfig({
  test: {
    // vitest's default on this machine's 2 cores is 1: one file at a time, cores idle while a file
    // waits on wrangler, Chromium or Python. Two keep both busy.
    maxWorkers: 2,
    reporters: ["default", "./test/support/contract/reporter.ts"],
    projects: [
      {
        test: {
          name: "math",
          include: ["test/math/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
        },
      },
      // Two projects of workerd tests. "worker" starts a runtime per file (the default): a file that evicts
      // or aborts every object, holds sockets or measures the isolate needs one of its own (an eviction
      // can wait on another file's objects). "worker-shared" runs its files one after another in one
      // runtime per pool worker, sharing storage: no runtime start and module import per file, a third
      // of the workerd tests' CPU time (test/support/shared-runtime.ts).
      workerProject("worker", { include: ["test/worker/**/*.test.ts"], exclude: SHARED_RUNTIME_FILES }),
      workerProject("worker-shared", { include: SHARED_RUNTIME_FILES, isolate: false }),
      // A real `wrangler dev` in its own process group, driven through the generated SDK (npm run build:sdk first).
      { test: { name: "e2e", include: ["test/e2e/**/*.e2e.test.ts"], environment: "node", testTimeout: 180_000, hookTimeout: 180_000, ...contract } },
    ],
  },
});
