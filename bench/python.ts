/**
 * The Python client against the TypeScript client, in one run: `npm run bench:python`. On a `wrangler dev`
 * (test/e2e/support/server.ts, no validating proxy) three models of 1,048,576 float32 parameters (4 tensors of
 * 512 × 512, Adam, 4 shards of 262,144 floats) take, each timed from its client per round:
 * - the TypeScript client's `pushModelGradients` of a safetensors gradient (4 MiB in, the updated model out);
 * - the Python client's `push_model_gradients` of the same bytes (bench/python/step.py); each push of
 *   either client its own bytes, the gradient's floats rotated round by round (SQLite skips a page whose
 *   bytes did not change, bench/stats.ts);
 * - `RemoteOptimizer.step()` of a torch module of the same tensors: the gradients encoded from `.grad`, the
 *   answer written into the parameters;
 * - and the client-side share of that step alone (no request): the gradients encoded, an answer decoded and
 *   written into the parameters.
 * The three alternate round by round (the Python process is driven over stdin), so that a machine's changing
 * load falls on all of them alike. Medians after one warm-up round, and their ratios to the TypeScript push. Writes docs/benchmarks.md's
 * "## Python client (npm run bench:python)" section; `--quick`: 3 rounds, no docs.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createShardstep } from "../packages/client/src/index";
import { encodeSafetensors } from "../src/formats/safetensors";
import { adminToken, DevServer } from "../test/e2e/support/server";
import { replaceSection } from "./sections";
import { randomGradient, safetensorsOfPush } from "./stats";

const QUICK = process.argv.includes("--quick");
const ROUNDS = QUICK ? 3 : 15;
const SIDE = 512;
const NAMES = ["layer0", "layer1", "layer2", "layer3"];
const PARAMETERS = NAMES.length * SIDE * SIDE;
const MODEL = "bench-py";
const root = join(dirname(fileURLToPath(import.meta.url)), "..");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratio = (x: number) => `${x.toFixed(x < 0.1 ? 4 : 2)}×`;

const server = await DevServer.start({ validate: false });
const folder = mkdtempSync(join(os.tmpdir(), "shardstep-bench-python-"));
try {
  const token = await adminToken();
  const api = createShardstep({ baseUrl: server.baseUrl, token });
  const manifest = { tensors: NAMES.map((name) => ({ name, shape: [SIDE, SIDE] })), config: { rule: "adam" as const, hyper: { lr: 1e-3 }, rate_limit: null } };
  await api.createModel(`${MODEL}.ts`, manifest);
  await api.createModel(`${MODEL}.py-push`, manifest);
  const gradient = encodeSafetensors(Object.fromEntries(NAMES.map((name, i) => [name, { shape: [SIDE, SIDE], data: randomGradient(SIDE * SIDE, 1 + i) }])));
  const gradientFile = join(folder, "gradient.safetensors");
  writeFileSync(gradientFile, gradient);

  const shapes = JSON.stringify(Object.fromEntries(NAMES.map((n) => [n, [SIDE, SIDE]])));
  const python = spawn("/usr/bin/python3", [join(root, "bench/python/step.py"), server.baseUrl, token, MODEL, shapes, gradientFile], {
    env: { ...process.env, OMP_NUM_THREADS: "1", PYTHONDONTWRITEBYTECODE: "1" },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: python.stdout })[Symbol.asyncIterator]();
  const answer = async (): Promise<string> => {
    const next = await lines.next();
    if (next.done) throw new Error("bench/python/step.py ended early (its error is above)");
    return next.value;
  };
  const ready = await answer();
  if (ready !== `ready ${PARAMETERS}`) throw new Error(`bench/python/step.py: ${ready}`);
  const ask = async (command: "push" | "step" | "local") => {
    python.stdin.write(`${command}\n`);
    return Number(await answer());
  };
  const ts: number[] = [];
  const py = { push_ms: [] as number[], step_ms: [] as number[], local_ms: [] as number[] };
  for (let r = 0; r <= ROUNDS; r++) {
    // Each round its own bytes (safetensorsOfPush), made before its clock starts; step.py does the same.
    const pushed = safetensorsOfPush(gradient, r);
    const t0 = performance.now();
    await api.pushModelGradients(`${MODEL}.ts`, pushed);
    const tsMs = performance.now() - t0;
    const pushMs = await ask("push");
    const stepMs = await ask("step");
    const localMs = await ask("local");
    if (r === 0) continue;
    ts.push(tsMs);
    py.push_ms.push(pushMs);
    py.step_ms.push(stepMs);
    py.local_ms.push(localMs);
  }
  python.stdin.end();

  const rows: [string, number[]][] = [
    ["TypeScript client: `pushModelGradients` (safetensors bytes)", ts],
    ["Python client: `push_model_gradients` (the same bytes)", py.push_ms],
    ["Python: `RemoteOptimizer.step()` (gradients from `.grad`, answer into the parameters)", py.step_ms],
    ["its client-side share alone, no request (gradients encoded, an answer decoded into the parameters)", py.local_ms],
  ];
  const base = median(ts);
  for (const [what, xs] of rows) console.log(`${what}: ${median(xs).toFixed(1)} ms median (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)}), ${ratio(median(xs) / base)} the TypeScript push`);
  if (!QUICK) {
    const docPath = join(root, "docs/benchmarks.md");
    const section = [
      "## Python client (npm run bench:python)",
      "",
      `Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC on ${os.cpus()[0]?.model.trim()} (${os.cpus().length} cores, shared with other jobs: load average ${os.loadavg()[0]!.toFixed(1)} at the end), ` +
        `against a local \`wrangler dev\` (state persisted on disk), clients on the same machine: Node's fetch for the TypeScript client, ` +
        `Debian's python3 (http.client) and torch 1.13 for the Python one. Three models of ${PARAMETERS.toLocaleString("en-US")} float32 parameters ` +
        `(4 tensors of 512 × 512, Adam, 4 shards of 262,144 floats); 4 MiB of safetensors each way. Medians of ${ROUNDS} rounds after one warm-up, ` +
        "the three alternating round by round (`bench/python.ts`, `bench/python/step.py`):",
      "",
      "| one step of a 1M-parameter model | median | min | max | vs the TypeScript push |",
      "|---|---|---|---|---|",
      ...rows.map(([what, xs]) => `| ${what} | ${median(xs).toFixed(1)} ms | ${Math.min(...xs).toFixed(1)} ms | ${Math.max(...xs).toFixed(1)} ms | ${ratio(median(xs) / base)} |`),
      "",
      "Nearly all of a step is the server's (the shards' Adam and their durable page writes, the Worker's fan-out) and the " +
        "transfer: the last row is what RemoteOptimizer adds on the client, and the first three differ by less than the spread of their rounds.",
    ].join("\n");
    writeFileSync(docPath, replaceSection(readFileSync(docPath, "utf8"), "## Python client (npm run bench:python)", section));
    console.log("wrote docs/benchmarks.md");
  }
} finally {
  await server.dispose();
  rmSync(folder, { recursive: true, force: true });
}
