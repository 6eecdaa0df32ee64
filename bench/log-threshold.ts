/**
 * Where the gradient log starts to pay (LOG_MIN_LENGTH in src/limits.ts): a quick local
 * measurement, not a test. `node --import tsx bench/log-threshold.ts [reps]` starts the bench
 * Worker (`wrangler dev`, as bench/e2e.ts does) and, for Adam shards of several lengths, times
 * sequential pushes (`return=minimal`, no Idempotency-Key) on a shard with the default log bound
 * against the same shard writing its pages at every step (`gradient_log.max_steps` 0), rotated.
 * Means, so that the materializations count. A length under LOG_MIN_LENGTH writes pages either
 * way: to measure below it, run with LOG_MIN_LENGTH set to 1 (docs/gradient-log.md has the figures).
 */
import { createShardstep, type ShardConfigInput } from "../sdk/client";
import { adminToken, DevServer } from "../test/e2e/support/server";
import { BENCH_CONFIG } from "../test/support/wrangler";
import { LOG_MIN_LENGTH } from "../src/limits";

const reps = Number(process.argv[2] ?? 64);
const lengths = [1024, 4096, 16_384, 65_536, 262_144];
const server = await DevServer.start({ config: BENCH_CONFIG, validate: false });
try {
  const api = createShardstep({ baseUrl: server.baseUrl, token: await adminToken(), retry: false });
  console.log(`log-threshold: ${reps} pushes each, LOG_MIN_LENGTH ${LOG_MIN_LENGTH}`);
  console.log("| length | logged ms (mean) | pages ms (mean) | logged / pages |");
  console.log("|---:|---:|---:|---:|");
  for (const length of lengths) {
    const config = { length, rule: "adam", hyper: { lr: 1e-3 }, rate_limit: null } satisfies ShardConfigInput;
    const shards = { logged: `threshold-log-${length}`, pages: `threshold-pages-${length}` };
    await api.createShard(shards.logged, config, { replace: true });
    await api.createShard(shards.pages, { ...config, gradient_log: { max_steps: 0, max_bytes: 0 } }, { replace: true });
    const gradient = Float32Array.from({ length }, (_, i) => Math.sin(i) * 1e-2);
    const ms = { logged: 0, pages: 0 };
    const kinds = ["logged", "pages"] as const;
    for (let i = 0; i < reps + 4; i++) {
      for (const kind of i % 2 ? kinds : [...kinds].reverse()) {
        const t0 = performance.now();
        await api.pushGradientSummary(shards[kind], gradient, { idempotencyKey: false });
        if (i >= 4) ms[kind] += performance.now() - t0;
      }
    }
    for (const name of Object.values(shards)) await api.deleteShard(name);
    const logged = ms.logged / reps;
    const pages = ms.pages / reps;
    console.log(`| ${length} | ${logged.toFixed(2)} | ${pages.toFixed(2)} | ${(logged / pages).toFixed(2)}${length < LOG_MIN_LENGTH ? " (under LOG_MIN_LENGTH: both write pages)" : ""} |`);
  }
} finally {
  await server.dispose();
}
