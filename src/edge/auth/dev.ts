/**
 * The local-development secret. It is public (it is in the source), so a Worker that has it as
 * AUTH_SECRET serves only requests addressed to a loopback host; anywhere else bearerAuth answers
 * 503 /problems/dev-secret-in-production. `scripts/dev-vars.mjs` writes it to `.dev.vars`.
 *
 * This file has no imports and only erasable TypeScript, so Node (≥ 22.18) can import it directly.
 */
export const LOCAL_DEV_SECRET = "shardstep-local-dev-secret:public:never-deploy:0f6b2c9e4a7d1835";

/**
 * Whether a URL hostname (as `new URL(url).hostname` gives it) names this machine:
 * `localhost`, any `127.x.y.z`, or `[::1]`.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host === "[::1]" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
