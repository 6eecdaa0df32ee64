/**
 * Training moves between PyTorch and shardstep through the state files (docs/state.md), against a
 * real `wrangler dev` and Debian's python3-torch 1.13 (ATEN_CPU_CAPABILITY=default), through
 * clients/python/shardstep/torch/state.py and the client's exportState/importState:
 * - torch steps 5 times → its state is imported into a shard → 5 pushes of the next gradients →
 *   equal to torch's own 10 steps;
 * - 5 pushes → the export is loaded into torch → 5 torch steps → equal to the shard's 10 pushes.
 * Equal within the golden tests' tolerance (docs/rules.md): 32 ulps of the largest magnitude an
 * element had (initial, after 5 and after 10 steps). The measured worst is printed.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createShardstep, type Shardstep } from "../../packages/client/src/index";
import { encodeSafetensors, parseSafetensors, readTensor, type SafetensorsFile } from "../../src/formats/safetensors";
import { ulpOf } from "../support/tolerance";
import { adminToken, DevServer } from "./support/server";

const PYTHON = "/usr/bin/python3";
const DRIVER = fileURLToPath(new URL("./support/torch_state.py", import.meta.url));
const TOLERANCE_ULPS = 32;
const SEED = 1206;
console.log(`torch-state.e2e: seed ${SEED}`);

const SHAPES = [[7, 9], [20]];
const LENGTH = SHAPES.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);

function randoms(seed: number, n: number, scale = 1): Float32Array {
  let a = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 2 ** 32 - 0.5) * 2 * scale;
  });
}

const cases = [
  { name: "adam", optimizer: "Adam", kwargs: { lr: 0.01 }, config: { rule: "adam" as const, hyper: { lr: 0.01 } } },
  {
    name: "sgd-momentum",
    optimizer: "SGD",
    kwargs: { lr: 0.05, momentum: 0.9, dampening: 0.1, weight_decay: 0.01 },
    config: { rule: "sgd" as const, hyper: { lr: 0.05, momentum: 0.9, dampening: 0.1, weight_decay: 0.01 } },
  },
];

let server: DevServer;
let api: Shardstep;
let folder: string;

beforeAll(async () => {
  execFileSync(PYTHON, ["-c", "import torch, numpy"], { stdio: "pipe" }); // python3-torch and python3-numpy (Debian) are needed
  server = await DevServer.start();
  api = createShardstep({ baseUrl: server.baseUrl, token: await adminToken() });
  folder = mkdtempSync(join(tmpdir(), "shardstep-torch-state-"));
});

afterAll(async () => {
  await server?.dispose();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

function runTorch(dir: string, mode: string): void {
  execFileSync(PYTHON, [DRIVER, dir, mode], { env: { ...process.env, ATEN_CPU_CAPABILITY: "default" }, stdio: "pipe" });
}

/** A file's bytes in an ArrayBuffer of their own (a Buffer may be a view into a shared pool, which readTensor's copies would not see through). */
const fileBytes = (dir: string, name: string) => new Uint8Array(readFileSync(join(dir, name)));

const vector = (file: SafetensorsFile, name: string) => readTensor(file, name) as Float32Array;

/** The worst element of `actual` against `expected` over every vector, in ulps of the largest magnitude the element had in `along`. */
function worstUlps(actual: SafetensorsFile, expected: SafetensorsFile, along: SafetensorsFile[]): number {
  expect([...actual.tensors.keys()].sort()).toEqual([...expected.tensors.keys()].sort());
  expect(readTensor(actual, "step")[0]).toBe(readTensor(expected, "step")[0]);
  let worst = 0;
  for (const [name, info] of expected.tensors) {
    if (info.shape.length === 0) continue;
    const a = vector(actual, name);
    const e = vector(expected, name);
    const others = along.map((f) => vector(f, f.tensors.has(name) ? name : "weights"));
    for (let i = 0; i < e.length; i++) {
      if (a[i] === e[i]) continue;
      const magnitude = Math.max(Math.abs(a[i]!), Math.abs(e[i]!), ...others.map((o) => Math.abs(o[i]!)));
      worst = Math.max(worst, Math.abs(a[i]! - e[i]!) / ulpOf(magnitude));
    }
  }
  return worst;
}

describe.each(cases)("$name: torch.optim ⇄ shard", ({ name, optimizer, kwargs, config }) => {
  const w0 = randoms(SEED, LENGTH);
  const grads = Array.from({ length: 10 }, (_, k) => randoms(SEED + 1 + k, LENGTH, 0.5));
  let dir: string;
  let torch5: SafetensorsFile;
  let torch10: SafetensorsFile;

  beforeAll(() => {
    dir = join(folder, name);
    execFileSync("mkdir", ["-p", dir]);
    const g = new Float32Array(10 * LENGTH);
    grads.forEach((x, k) => g.set(x, k * LENGTH));
    const inputs = encodeSafetensors({ w0: { shape: [LENGTH], data: w0 }, g: { shape: [10, LENGTH], data: g } }, { optimizer, kwargs: JSON.stringify(kwargs), shapes: JSON.stringify(SHAPES) });
    writeFileSync(join(dir, "inputs.safetensors"), inputs);
    runTorch(dir, "torch-first");
    torch5 = parseSafetensors(fileBytes(dir, "torch5.safetensors"));
    torch10 = parseSafetensors(fileBytes(dir, "torch10.safetensors"));
  });

  async function pushEach(shard: string, from: number, to: number): Promise<void> {
    for (let k = from; k < to; k++) await api.pushGradient(shard, grads[k]!);
  }

  it("torch's 5 steps imported, then 5 pushes: torch's 10 steps", async () => {
    const shard = `torch-first-${name}`;
    await api.createShard(shard, { length: LENGTH, ...config, init: { kind: "zeros" } });
    const imported = await api.importState(shard, fileBytes(dir, "torch5.safetensors"));
    expect(imported).toMatchObject({ version: 1, step: 5, replayed: false });
    await pushEach(shard, 5, 10);
    const exported = await api.exportState(shard);
    expect(exported).toMatchObject({ version: 6, step: 10 });
    const ulps = worstUlps(parseSafetensors(exported.bytes), torch10, [torch5]);
    console.log(`torch-state.e2e ${name}: torch 5 + shard 5 vs torch 10: worst ${ulps.toFixed(2)} ulps`);
    expect(ulps).toBeLessThanOrEqual(TOLERANCE_ULPS);
  });

  it("5 pushes exported into torch, then 5 torch steps: the shard's 10 pushes", async () => {
    const shard = `shard-first-${name}`;
    await api.createShard(shard, { length: LENGTH, ...config, init: { kind: "zeros" } });
    await api.uploadWeights(shard, w0);
    await pushEach(shard, 0, 5);
    const shard5 = await api.exportState(shard);
    expect(shard5.step).toBe(5);
    writeFileSync(join(dir, "shard5.safetensors"), shard5.bytes);
    runTorch(dir, "shard-first");
    const resumed = parseSafetensors(fileBytes(dir, "resumed10.safetensors"));
    await pushEach(shard, 5, 10);
    const shard10 = parseSafetensors((await api.exportState(shard)).bytes);
    const ulps = worstUlps(resumed, shard10, [parseSafetensors(shard5.bytes)]);
    const againstTorch = worstUlps(shard10, torch10, [torch5]);
    console.log(`torch-state.e2e ${name}: shard 5 + torch 5 vs shard 10: worst ${ulps.toFixed(2)} ulps; shard 10 vs torch 10: ${againstTorch.toFixed(2)} ulps`);
    expect(ulps).toBeLessThanOrEqual(TOLERANCE_ULPS);
    expect(againstTorch).toBeLessThanOrEqual(TOLERANCE_ULPS);
  });
});

describe("a model's state through the client", () => {
  it("exportModelState → importModelState into a fresh model: the same tensors, the same next push", async () => {
    const manifest = { tensors: [{ name: "w", shape: [7, 9] }, { name: "b", shape: [20] }], shard_size: 50, config: { rule: "adam" as const, hyper: { lr: 0.01 }, init: { kind: "normal" as const, seed: SEED } } };
    await api.createModel("state-source", manifest);
    await api.createModel("state-target", manifest);
    const gradient = (seed: number) => ({ w: { shape: [7, 9], data: randoms(seed, 63) }, b: { shape: [20], data: randoms(seed + 1, 20) } });
    await api.pushModelGradients("state-source", gradient(SEED));
    const exported = await api.exportModelState("state-source");
    const imported = await api.importModelState("state-target", exported.bytes);
    expect(imported.shards.map((s) => s.step)).toEqual([1, 1]);
    const again = await api.exportModelState("state-target");
    const tensors = (f: SafetensorsFile) => Object.fromEntries([...f.tensors].map(([n, i]) => [n, [...f.data.subarray(i.begin, i.end)]]));
    expect(tensors(parseSafetensors(again.bytes))).toEqual(tensors(parseSafetensors(exported.bytes)));
    const next = gradient(SEED + 5);
    expect((await api.pushModelGradients("state-target", next)).tensors).toEqual((await api.pushModelGradients("state-source", next)).tensors);
  });
});
