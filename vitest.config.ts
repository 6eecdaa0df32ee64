import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Every answer of the worker and e2e tests is validated against openapi.yaml (test/support/contract):
// a violation fails the test file; CONTRACT_MODE=collect records them instead (with
// CONTRACT_REPORT=<file> the reporter writes them there), for surveying a spec.
const contract = {
  setupFiles: ["test/support/contract/file-tally.ts"],
  provide: { contractMode: process.env.CONTRACT_MODE === "collect" ? ("collect" as const) : ("throw" as const) },
};

// Three projects: the pure math runs in plain Node (fast); only what needs workerd runs in the pool; e2e runs wrangler dev.
export default defineConfig({
  test: {
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
      {
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" }, miniflare: { bindings: { AUTH_SECRET: "vitest-only-auth-secret-7c1e5a93d2b84f06" } } })],
        test: {
          name: "worker",
          // A test's first request to a new object class starts it (and runs its migrations): seconds on a loaded machine.
          testTimeout: 20_000,
          globalSetup: ["test/support/worker-setup.ts"],
          include: ["test/worker/**/*.test.ts"],
          ...contract,
        },
      },
      // A real `wrangler dev` in its own process group, driven through the generated SDK (npm run build:sdk first).
      { test: { name: "e2e", include: ["test/e2e/**/*.e2e.test.ts"], environment: "node", testTimeout: 180_000, hookTimeout: 180_000, ...contract } },
    ],
  },
});
