/**
 * The workerd test files that share one runtime and its storage (vitest.config.ts, project
 * "worker-shared"): none evicts or aborts every object, opens a socket, or measures the isolate, and
 * each names its shards and models uniquely per call (test/worker/support/api.ts). The others get a
 * runtime of their own per file (project "worker"). test/math/shared-runtime.test.ts holds the list to that.
 */
export const SHARED_RUNTIME_FILES = [
  "auth", "body-limits", "check-order", "contract-validator", "errors-doc", "fedopt-golden", "fuzz-findings", "fuzz",
  "golden-http", "gradients", "health", "hostile-input", "kernels", "messages", "metrics", "model-checkpoints", "models",
  "openapi-refusals", "openapi-schemas", "openapi", "point", "push-identity", "replays", "same-query", "shards", "weights",
].map((name) => `test/worker/${name}.test.ts`);

/** What a file in a shared runtime must not use: each reaches past the file (every object, the sockets, the isolate). */
export const NEEDS_OWN_RUNTIME = /evictAllDurableObjects|abortAllDurableObjects|runInDurableObject|WebSocket|\/live\b|isolate's budget/;
