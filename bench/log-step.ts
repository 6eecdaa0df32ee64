/**
 * The gradient log's row of bench/e2e.ts: a 2^20-parameter durable Adam step (weights answered)
 * on a shard that logs its gradients (the default) against, in the same run and alternated,
 * - the new floor: `POST /bench/floor/{shard}` writing only the gradient's own pages (4 of 1 MiB)
 *   and echoing the bytes (bench/floor/worker.ts; `pages` = one vector's pages is that mode);
 * - today's page path: the same shard configuration with `gradient_log.max_steps` 0, which writes
 *   the weights and both moments (12 pages) at every step.
 * Medians, and means: a logging shard writes its state pages once per bound (16 steps of 4 MiB at
 * the default 64 MiB) and at its alarm, so its mean carries the materializations its median skips.
 */
import { floatsBody, floatsOf, type Shardstep, type ShardConfigInput } from "../sdk/client";
import { gradientOfPush } from "./stats";

/** The floor's page: the largest, 1 MiB. */
export const FLOOR_PAGE_FLOATS = 262_144;

/** The floor of bench/floor/worker.ts: `pages` pages of the bytes written in one transaction, the bytes echoed. */
export async function postFloor(api: Shardstep, shard: string, gradient: Float32Array, pages: number): Promise<Float32Array> {
  const { data, response, error } = await api.client.post({
    url: "/bench/floor/{shard}",
    path: { shard },
    query: { pages, page_floats: FLOOR_PAGE_FLOATS },
    body: floatsBody(gradient),
    bodySerializer: null,
    headers: { "Content-Type": "application/octet-stream" },
    security: [{ scheme: "bearer", type: "http" }],
    parseAs: "arrayBuffer",
  });
  if (!response?.ok) throw new Error(`floor: ${response?.status} ${JSON.stringify(error)}`);
  return floatsOf(data);
}

interface RequestStats {
  median: number;
  mean: number;
  slowest: number[];
}

export interface LogStepResult {
  /** ms per request by what was sent: median, mean and the three slowest. */
  log: RequestStats;
  pages: RequestStats;
  floor: RequestStats;
  reps: number;
  floorPages: number;
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[(s.length >> 1) - 1]! + s[s.length >> 1]!) / 2;
};
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

export async function measureLogStep(api: Shardstep, gradient: Float32Array, reps: number, runId: string): Promise<LogStepResult> {
  const n = gradient.length;
  const config = { length: n, rule: "adam", hyper: { lr: 1e-3 }, rate_limit: null } satisfies ShardConfigInput;
  const logShard = `bench-e2e-log-${runId}`;
  const pageShard = `bench-e2e-pages-${runId}`;
  await api.createShard(logShard, config, { replace: true });
  await api.createShard(pageShard, { ...config, gradient_log: { max_steps: 0, max_bytes: 0 } }, { replace: true });
  const floorPages = Math.ceil(n / FLOOR_PAGE_FLOATS);
  const send = {
    log: (g: Float32Array) => api.pushGradient(logShard, g, { idempotencyKey: false }),
    pages: (g: Float32Array) => api.pushGradient(pageShard, g, { idempotencyKey: false }),
    floor: (g: Float32Array) => postFloor(api, logShard, g, floorPages),
  };
  // Each request its own bytes (gradientOfPush), made before its clock starts.
  let seq = 0;
  const nextGradient = () => gradientOfPush(gradient, seq++);
  const kinds = ["log", "pages", "floor"] as const;
  for (let i = 0; i < 3; i++) for (const k of kinds) await send[k](nextGradient());
  const ms: Record<(typeof kinds)[number], number[]> = { log: [], pages: [], floor: [] };
  for (let i = 0; i < reps; i++) {
    // Rotate the order, so that drift and caches favour none.
    for (let j = 0; j < kinds.length; j++) {
      const k = kinds[(i + j) % kinds.length]!;
      const g = nextGradient();
      const t0 = performance.now();
      await send[k](g);
      ms[k].push(performance.now() - t0);
    }
  }
  await api.deleteShard(logShard);
  await api.deleteShard(pageShard);
  const stat = (v: number[]): RequestStats => ({ median: median(v), mean: mean(v), slowest: [...v].sort((a, b) => b - a).slice(0, 3) });
  return { log: stat(ms.log), pages: stat(ms.pages), floor: stat(ms.floor), reps, floorPages };
}

/** The row's lines for the console and docs/benchmarks.md, with its two targets. */
export function logStepLines(r: LogStepResult): string[] {
  const f = (x: number, d = 1) => x.toFixed(d);
  const toFloor = r.log.mean / r.floor.mean;
  const toPages = r.log.mean / r.pages.mean;
  const floorToPages = r.floor.mean / r.pages.mean;
  const met = (ok: boolean) => (ok ? "**met**" : "**not met**");
  const slowest = (s: RequestStats) => s.slowest.map((x) => f(x, 0)).join(", ");
  return [
    `**(a') The gradient log: one 2^20-parameter Adam step, weights answered**, ${r.reps} of each after warm-up, rotated: the default shard (its gradient logged, ` +
      "the state pages written once per bound and at its alarm), the same shard writing its pages at every step (`gradient_log.max_steps` 0, the path before the log), " +
      `and the new floor: the same bytes echoed after a bare write of the gradient's own ${r.floorPages} pages of 1 MiB. Every request carries its own bytes. ` +
      "Means include the materializations (the slowest requests show them).",
    "",
    "| request | median ms | mean ms | three slowest ms | × new floor (means) |",
    "|---|---:|---:|---:|---:|",
    `| push, gradient logged | ${f(r.log.median)} | ${f(r.log.mean)} | ${slowest(r.log)} | **${f(toFloor, 2)}×** |`,
    `| push, pages every step | ${f(r.pages.median)} | ${f(r.pages.mean)} | ${slowest(r.pages)} | ${f(r.pages.mean / r.floor.mean, 2)}× |`,
    `| new floor (${r.floorPages} page writes, echo) | ${f(r.floor.median)} | ${f(r.floor.mean)} | ${slowest(r.floor)} | 1.00× |`,
    "",
    `- logged step ≤ 1.3× the new floor: ${f(toFloor, 2)}× — ${met(toFloor <= 1.3)}`,
    `- logged step ≤ 0.5× the page path: ${f(toPages, 2)}× (${f(r.log.mean)} ms vs ${f(r.pages.mean)} ms) — ${met(toPages <= 0.5)}`,
    `  - the new floor itself, which carries the same bytes up and back and writes only the gradient, takes ${f(floorToPages, 2)}× the page path (${f(r.floor.mean)} ms vs ${f(r.pages.mean)} ms): ` +
      (floorToPages > 0.5
        ? "no step that makes its gradient durable and answers the weights can take 0.5× of the page path here"
        : "0.5× is within the floor's reach"),
  ];
}
