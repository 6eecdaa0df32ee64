/**
 * The measurements behind the gradient log's defaults (docs/gradient-log.md): quick and local, not
 * a test. `node --import tsx bench/gradient-log.ts [reps]` starts the bench Worker (`wrangler dev`,
 * as bench/e2e.ts does) and times sequential pushes (`return=minimal`, no Idempotency-Key), means
 * so that the materializations count, alternated:
 * 1. where the log starts to pay (LOG_MIN_LENGTH in src/limits.ts): Adam shards of several lengths
 *    with the default bound against the same shard writing its pages at every step
 *    (`gradient_log.max_steps` 0). A length under LOG_MIN_LENGTH writes pages either way: to
 *    measure below it, run with LOG_MIN_LENGTH set to 1;
 * 2. the bound: a 2^20-parameter Adam shard with logs of several sizes (`max_steps`), against the page path.
 */
import { createShardstep, type ShardConfigInput } from "../sdk/client";
import { adminToken, DevServer } from "../test/e2e/support/server";
import { BENCH_CONFIG } from "../test/support/wrangler";
import { LOG_MIN_LENGTH } from "../src/limits";
import { DEFAULT_GRADIENT_LOG } from "../src/config/gradient-log";
import { gradientOfPush } from "./stats";

const reps = Number(process.argv[2] ?? 64);
const lengths = [1024, 4096, 16_384, 65_536, 262_144];
const BIG = 2 ** 20;
const bounds = [0, 2, 4, 8, 16, 64];
const server = await DevServer.start({ config: BENCH_CONFIG, validate: false });
try {
  const api = createShardstep({ baseUrl: server.baseUrl, token: await adminToken(), retry: false });
  /** Mean ms of a push on each shard, `reps` each after 4 of warm-up, in rotated order. */
  async function means(length: number, logs: readonly Record<string, number>[]): Promise<number[]> {
    const config = { length, rule: "adam", hyper: { lr: 1e-3 }, rate_limit: null } satisfies ShardConfigInput;
    const names = logs.map((_, i) => `log-bench-${length}-${i}`);
    for (const [i, name] of names.entries()) await api.createShard(name, { ...config, gradient_log: { ...DEFAULT_GRADIENT_LOG, ...logs[i] } }, { replace: true });
    const gradient = Float32Array.from({ length }, (_, i) => Math.sin(i) * 1e-2);
    const ms = names.map(() => 0);
    for (let i = 0; i < reps + 4; i++) {
      for (let j = 0; j < names.length; j++) {
        const k = (i + j) % names.length;
        const pushed = gradientOfPush(gradient, i);
        const t0 = performance.now();
        await api.pushGradientSummary(names[k]!, pushed, { idempotencyKey: false });
        if (i >= 4) ms[k]! += performance.now() - t0;
      }
    }
    for (const name of names) await api.deleteShard(name);
    return ms.map((m) => m / reps);
  }
  console.log(`gradient-log: ${reps} pushes each, LOG_MIN_LENGTH ${LOG_MIN_LENGTH}`);
  console.log("| length | logged ms (mean) | pages ms (mean) | logged / pages |");
  console.log("|---:|---:|---:|---:|");
  for (const length of lengths) {
    const [logged, pages] = await means(length, [{}, { max_steps: 0 }]);
    console.log(`| ${length} | ${logged!.toFixed(2)} | ${pages!.toFixed(2)} | ${(logged! / pages!).toFixed(2)}${length < LOG_MIN_LENGTH ? " (under LOG_MIN_LENGTH: both write pages)" : ""} |`);
  }
  const atBounds = await means(BIG, bounds.map((max_steps) => ({ max_steps, max_bytes: 256 * 1024 * 1024 })));
  console.log(`\n| 2^20 Adam, max_steps | mean ms | × pages every step |`);
  console.log("|---:|---:|---:|");
  for (const [i, steps] of bounds.entries()) console.log(`| ${steps} | ${atBounds[i]!.toFixed(2)} | ${(atBounds[i]! / atBounds[0]!).toFixed(2)} |`);
} finally {
  await server.dispose();
}
