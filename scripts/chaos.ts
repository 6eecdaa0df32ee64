/**
 * npm run chaos: concurrent clients push to a real `wrangler dev` while its runtime is SIGKILLed
 * three times and restarted on the same state; every push is retried until acknowledged (same
 * Idempotency-Key). Then each shard is replayed from exactly the acknowledged pushes, bit for bit.
 * Prints acknowledged and lost pushes; exits 1 if any acknowledged push was lost or differs.
 *
 *   npm run chaos [-- --clients 16 --pushes 60 --shards 4 --seed 7]
 */
import { parseArgs } from "node:util";
import type { ShardConfigInput } from "../sdk/client";
import { checkShard, loadWithCrashes, rawClient } from "../test/e2e/support/load";
import { adminToken, DevServer } from "../test/e2e/support/server";
import { LOG_MIN_LENGTH } from "../src/limits";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "16" },
    pushes: { type: "string", default: "60" },
    shards: { type: "string", default: "4" },
    crashes: { type: "string", default: "3" },
    seed: { type: "string", default: "7" },
  },
});
const clients = Number(values.clients);
const pushesPerClient = Number(values.pushes);
const crashes = Number(values.crashes);
const seed = Number(values.seed);

// Long enough to log its gradients (docs/gradient-log.md), with a bound that materializes every 16 steps.
const config = {
  length: LOG_MIN_LENGTH,
  rule: "adam",
  hyper: { lr: 0.01, amsgrad: true },
  init: { kind: "uniform", low: -0.5, high: 0.5, seed },
  averages: { ema: { kind: "ema", decay: 0.9 }, swa: { kind: "swa", start: 5 } },
  page_floats: 4096,
  rate_limit: null,
  gradient_log: { max_steps: 16, max_bytes: 16 * 4 * LOG_MIN_LENGTH },
} satisfies ShardConfigInput;

const total = clients * pushesPerClient;
const run = `chaos-${Date.now().toString(36)}`;
const shards = Array.from({ length: Number(values.shards) }, (_, s) => `${run}-s${s}`);
const crashAt = Array.from({ length: crashes }, (_, i) => Math.round(((i + 1) * total) / (crashes + 1)));

console.log(`chaos: ${clients} clients × ${pushesPerClient} pushes on ${shards.length} shards (seed ${seed}); SIGKILL of workerd after ${crashAt.join(", ")} acknowledged pushes`);
const started = Date.now();
const server = await DevServer.start();
let exit = 1;
try {
  const api = rawClient(server, await adminToken());
  const outcome = await loadWithCrashes(server, api, { config, shards, clients, pushesPerClient, crashAt, deadlineMs: 300_000 }, run);
  const checks = [];
  for (const shard of shards) checks.push(await checkShard(api, shard, outcome.acks.get(shard) ?? []));
  const lost = checks.reduce((n, c) => n + c.lost, 0);
  const mismatches = checks.filter((c) => c.mismatch !== undefined);
  console.log(`crashes: ${outcome.killed.length} (workerd processes killed: ${outcome.killed.map((k) => k.length).join(", ")})`);
  console.log(`failed attempts, retried with the same key: ${outcome.stats.failedAttempts} (${[...outcome.stats.errors].map(([k, n]) => `${k} × ${n}`).join(", ") || "none"})`);
  for (const c of checks) console.log(`${c.shard}: ${c.acknowledged} acknowledged, version ${c.stored}, lost ${c.lost}${c.mismatch ? `, differs: ${c.mismatch}` : ", equal to the replay bit for bit"}`);
  console.log(`acknowledged pushes: ${outcome.acknowledged} of ${total}; lost: ${lost}; shards differing from the replay: ${mismatches.length}; ${((Date.now() - started) / 1000).toFixed(0)} s`);
  exit = lost === 0 && mismatches.length === 0 && outcome.acknowledged === total && outcome.killed.length === crashes ? 0 : 1;
} finally {
  await server.dispose();
}
process.exit(exit);
