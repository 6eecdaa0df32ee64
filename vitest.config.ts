import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Three projects: the pure math runs in plain Node (fast); only what needs workerd runs in the pool; e2e runs wrangler dev.
export default defineConfig({
  test: {
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
        },
      },
      // A real `wrangler dev` in its own process group, driven through the generated SDK (npm run build:sdk first).
      { test: { name: "e2e", include: ["test/e2e/**/*.e2e.test.ts"], environment: "node", testTimeout: 180_000, hookTimeout: 120_000 } },
    ],
  },
});
