/**
 * wrangler dev's local observability: wrangler 4 attaches a trace collector to the Worker in the
 * runtime workerd and writes every invocation into SQLite there (0.3–1.1 ms of runtime CPU per
 * request, docs/benchmarks.md). Its one switch is the environment variable X_LOCAL_OBSERVABILITY
 * (default true; wrangler's `getLocalObservabilityEnabledFromEnv`, passed to Miniflare as
 * `unsafeObservability`), read when wrangler starts: set it, then start or restart the DevServer,
 * which passes this process's environment to wrangler.
 */
export function localObservability(on: boolean): void {
  process.env.X_LOCAL_OBSERVABILITY = String(on);
}

export const localObservabilityOn = () => process.env.X_LOCAL_OBSERVABILITY !== "false";
