/**
 * The Python client (clients/python) against a real `wrangler dev`, with Debian's python3, python3-torch and
 * python3-pytest (ATEN_CPU_CAPABILITY=default: PyTorch without fused multiply-add, as the goldens):
 * - its route table (clients/python/shardstep/routes.py) is held to openapi.yaml: every operation's method and
 *   path, and every query parameter and header it sends, is one the spec declares;
 * - `python3 -m pytest clients/python/tests` runs with the server's URL and a token in its environment: the
 *   RemoteOptimizer against torch.optim (the measured worst ulps are printed), a lost answer retried and
 *   applied once, refusals, every call group; the server's answers pass through DevServer's validating proxy;
 * - the federated example (examples/python-federated) in its short version: 2 client processes, 3 rounds of
 *   FedAdam over non-IID digits; the server's weights must beat the initial ones' test accuracy clearly.
 * The two runs share the server and run concurrently (most of their time is starting Python and torch).
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { adminToken, DevServer } from "./support/server";

const PYTHON = "/usr/bin/python3";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLIENT = `${ROOT}clients/python`;
const run = promisify(execFile);

/** Runs Debian's python3 in the repo with the client importable and torch without fused multiply-add. */
export function python(args: string[], env: Record<string, string> = {}, timeoutMs = 170_000) {
  return run(PYTHON, args, {
    cwd: ROOT,
    env: { ...process.env, ATEN_CPU_CAPABILITY: "default", OMP_NUM_THREADS: "1", PYTHONPATH: CLIENT, PYTHONDONTWRITEBYTECODE: "1", ...env },
    timeout: timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
  });
}

interface Operation {
  method: string;
  path: string;
  parameters?: { in: string; name: string }[];
}

describe("the Python client's routes", () => {
  it("are operations of openapi.yaml, with the query parameters and headers the spec declares", async () => {
    const spec = parse(readFileSync(`${ROOT}openapi.yaml`, "utf8")) as { paths: Record<string, Record<string, { operationId?: string; parameters?: Operation["parameters"] }>> };
    const operations = new Map<string, Operation>();
    for (const [path, methods] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(methods)) if (op.operationId) operations.set(op.operationId, { method: method.toUpperCase(), path, parameters: op.parameters });
    }
    const dump = "import json, dataclasses; from shardstep.routes import ROUTES; print(json.dumps({k: dataclasses.asdict(r) for k, r in ROUTES.items()}))";
    const routes = JSON.parse((await python(["-c", dump])).stdout) as Record<string, { method: string; path: string; query: string[]; headers: string[] }>;
    expect(Object.keys(routes).length).toBeGreaterThan(0);
    for (const [id, route] of Object.entries(routes)) {
      const op = operations.get(id);
      expect(op, `${id} is no operation of openapi.yaml`).toBeDefined();
      expect(`${route.method} ${route.path}`, id).toBe(`${op!.method} ${op!.path}`);
      const declared = (kind: string) => (op!.parameters ?? []).filter((p) => p.in === kind).map((p) => p.name.toLowerCase());
      for (const q of route.query) expect(declared("query"), `${id} query ${q}`).toContain(q);
      for (const h of route.headers) expect(declared("header"), `${id} header ${h}`).toContain(h);
    }
    // The client covers the whole API.
    expect(Object.keys(routes).sort()).toEqual([...operations.keys()].sort());
  });
});

describe.concurrent("the Python client against wrangler dev", () => {
  let server: DevServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    await python(["-c", "import torch, numpy, pytest"]); // python3-torch, python3-numpy, python3-pytest (Debian)
    server = await DevServer.start();
    env = { SHARDSTEP_URL: server.baseUrl, SHARDSTEP_TOKEN: await adminToken() };
  });

  afterAll(async () => {
    await server?.dispose();
  });

  it("passes its pytest suite (no test skipped)", async () => {
    const { stdout, stderr } = await python(["-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "clients/python/tests"], env).catch((e: { stdout: string; stderr: string }) => {
      throw new Error(`pytest failed:\n${e.stdout}\n${e.stderr}`);
    });
    console.log(stdout, stderr);
    expect(stdout).toMatch(/\d+ passed/);
    expect(stdout).not.toMatch(/skipped|failed|error/);
  });

  it("runs the federated example's short version: accuracy rises over the rounds", async () => {
    const args = ["--model", "fed.e2e", "--clients", "2", "--rounds", "3", "--local-steps", "10", "--train-per-client", "300", "--test", "500"];
    const { stdout } = await python(["examples/python-federated/main.py", ...args], env);
    console.log(stdout);
    const before = Number(/accuracy before training ([\d.]+)/.exec(stdout)?.[1]);
    const last = Number(/round 3: accuracy ([\d.]+)/.exec(stdout)?.[1]);
    expect(stdout).toMatch(/round 1: accuracy/);
    expect(last).toBeGreaterThan(before + 0.15);
  });
});
