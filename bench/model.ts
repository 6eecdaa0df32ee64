/**
 * Whole-model transfers against a real local server: `npm run bench:model`. A model of 10,000,000
 * float32 parameters (10 tensors of 1000 × 1000, Adam, shards of 1,048,576 floats: 10 shards) is
 * created on a `wrangler dev` with a temporary --persist-to (test/e2e/support/server.ts); then,
 * alternating, a push of its whole gradient (40 MB of safetensors in, the updated 40 MB model out)
 * and a pull of its weights, each timed from the client (Node's fetch). Prints the medians and
 * writes them to docs/benchmarks.md under "## Models (npm run bench:model)". `--quick`: 3 rounds,
 * no docs.
 */
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeSafetensors, parseSafetensors } from "../src/formats/safetensors";
import { adminToken, DevServer, memoryOf } from "../test/e2e/support/server";
import { replaceSection } from "./sections";
import { gradientOfPush } from "./stats";

const QUICK = process.argv.includes("--quick");
const TENSORS = 10;
const SIDE = 1000;
const PARAMETERS = TENSORS * SIDE * SIDE;
const rounds = QUICK ? 3 : 8;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const root = join(dirname(fileURLToPath(import.meta.url)), "..");

const server = await DevServer.start();
try {
  const headers = { authorization: `Bearer ${await adminToken()}` };
  const base = `${server.baseUrl}/v1/models/bench-10m`;
  const tensors = Array.from({ length: TENSORS }, (_, i) => ({ name: `layer${i}.weight`, shape: [SIDE, SIDE] }));
  const created = await fetch(base, {
    method: "PUT",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ tensors, shard_size: 1_048_576, config: { rule: "adam", hyper: { lr: 1e-3 }, rate_limit: null } }),
  });
  if (created.status >= 300) throw new Error(`create: ${created.status} ${await created.text()}`);
  const data = tensors.map((_, i) => Float32Array.from({ length: SIDE * SIDE }, (_, j) => Math.sin(i + j) * 1e-3));
  // Each round its own bytes (gradientOfPush), encoded before its clock starts.
  const gradientOf = (round: number) => encodeSafetensors(Object.fromEntries(tensors.map((t, i) => [t.name, { shape: t.shape, data: gradientOfPush(data[i]!, round) }])));
  const gradientBytes = gradientOf(0).byteLength;
  const pushMs: number[] = [];
  const pullMs: number[] = [];
  for (let r = 0; r < rounds + 1; r++) {
    const body = gradientOf(r);
    let t0 = performance.now();
    const pushed = await fetch(`${base}/gradients`, { method: "POST", headers: { ...headers, "content-type": "application/octet-stream", "idempotency-key": `bench-${Date.now()}-${r}` }, body: new Blob([body as Uint8Array<ArrayBuffer>]) });
    const answer = new Uint8Array(await pushed.arrayBuffer());
    const push = performance.now() - t0;
    if (pushed.status !== 200) throw new Error(`push: ${pushed.status} ${new TextDecoder().decode(answer.subarray(0, 500))}`);
    t0 = performance.now();
    const pulled = await fetch(`${base}/weights`, { headers });
    const weights = new Uint8Array(await pulled.arrayBuffer());
    const pull = performance.now() - t0;
    if (parseSafetensors(weights).tensors.size !== TENSORS || answer.byteLength !== weights.byteLength) throw new Error("pull: not the model");
    if (r > 0) {
      pushMs.push(push);
      pullMs.push(pull);
    }
  }
  const peak = Math.max(...server.workerdProcesses().map((p) => memoryOf(p.pid)?.peak ?? 0));
  const mb = (gradientBytes / 1e6).toFixed(1);
  const line = (what: string, xs: number[]) => `${what}: ${median(xs).toFixed(0)} ms median (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}; ${(gradientBytes / 1e6 / (median(xs) / 1000)).toFixed(0)} MB/s)`;
  console.log(`10M-parameter Adam model, ${mb} MB safetensors, 10 shards, ${rounds} rounds after a warm-up`);
  console.log(`  ${line("push (gradient in, updated model out)", pushMs)}`);
  console.log(`  ${line("pull (weights)", pullMs)}`);
  console.log(`  workerd peak RSS (VmHWM): ${(peak / 1048576).toFixed(0)} MiB`);
  if (!QUICK) {
    const docPath = join(root, "docs/benchmarks.md");
    const section = [
      "## Models (npm run bench:model)",
      "",
      `Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC on ${os.cpus()[0]?.model.trim()} (${os.cpus().length} cores), against a local \`wrangler dev\` ` +
        `(state persisted on disk), from Node's fetch on the same machine. A model of ${PARAMETERS.toLocaleString("en-US")} float32 parameters (10 tensors of 1000 × 1000, Adam, ` +
        `10 shards of 1,048,576 floats); ${mb} MB of safetensors each way. Medians of ${rounds} rounds after one warm-up:`,
      "",
      "| transfer | median | min | max | throughput |",
      "|---|---|---|---|---|",
      ...[["push: gradient in, updated model out", pushMs], ["pull: the weights", pullMs]].map(
        ([what, xs]) => `| ${what} | ${median(xs as number[]).toFixed(0)} ms | ${Math.min(...(xs as number[])).toFixed(0)} ms | ${Math.max(...(xs as number[])).toFixed(0)} ms | ${(gradientBytes / 1e6 / (median(xs as number[]) / 1000)).toFixed(0)} MB/s |`,
      ),
      "",
      `Peak resident memory of the workerd processes: ${(peak / 1048576).toFixed(0)} MiB (locally the Worker and every shard's object share them).`,
      "",
    ].join("\n");
    writeFileSync(docPath, replaceSection(readFileSync(docPath, "utf8"), "## Models (npm run bench:model)", section));
  }
} finally {
  await server.dispose();
}
