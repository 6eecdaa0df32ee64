/**
 * Clients generated from openapi.yaml by three generators nobody here wrote, each driven by a strict
 * program without casts (test/e2e/clients/<generator>/main.ts, npm run build:clients): the programs
 * hold no type escape, compile with `tsc --noEmit` (strict), and run their flow (an Adam shard,
 * binary pushes with Idempotency-Keys and a replay, weights in binary and JSON, an EMA, a model
 * with safetensors) against a real `wrangler dev`, checking every number they get back.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminToken, DevServer } from "./support/server";

const root = fileURLToPath(new URL("../../", import.meta.url));
const GENERATORS = ["hey-api", "openapi-fetch", "orval"];

/** Runs a Node script of the project with the Node running the tests; its status and output. */
function node(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, encoding: "utf8", timeout: 150_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

let server: DevServer;
let token: string;
/** Checks each program passed (from its closing line). */
const passed = new Map<string, number>();

beforeAll(async () => {
  const built = node(["scripts/build-clients.mjs"]);
  expect(built.status, built.output).toBe(0);
  server = await DevServer.start();
  token = await adminToken();
});

afterAll(async () => {
  await server?.dispose();
});

describe("the programs' sources", () => {
  it("hold no cast, any, non-null assertion, ts-ignore or ts-expect-error", () => {
    const check = node(["scripts/check-client-programs.mjs"]);
    expect(check.status, check.output).toBe(0);
  });

  it("the check finds each kind of escape in a program", () => {
    const dir = mkdtempSync(join(tmpdir(), "client-programs-"));
    try {
      const escapes = ["const a = value as number;", "let b: any;", "value!.field;", "// @ts-ignore", "// @ts-expect-error"];
      writeFileSync(join(dir, "main.ts"), `${escapes.join("\n")}\n`);
      const check = node(["scripts/check-client-programs.mjs", dir]);
      expect(check.status).toBe(1);
      expect(check.output).toContain(`5 type escapes in 1 files`);
      for (const line of escapes) expect(check.output).toContain(line);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(GENERATORS)("the %s program", (generator) => {
  const dir = `test/e2e/clients/${generator}`;

  it("compiles strict (tsc --noEmit)", () => {
    const tsc = node(["node_modules/typescript/bin/tsc", "--noEmit", "-p", dir]);
    expect(tsc.status, tsc.output).toBe(0);
  });

  it("runs its flow against wrangler dev with every check passing", () => {
    const run = node(["--import", "tsx", `${dir}/main.ts`], { SHARDSTEP_URL: server.baseUrl, SHARDSTEP_TOKEN: token });
    console.log(run.output);
    expect(run.status, run.output).toBe(0);
    const summary = new RegExp(`^${generator}: (\\d+) checks passed, 0 failed$`, "m").exec(run.output);
    expect(summary, run.output).not.toBeNull();
    passed.set(generator, Number(summary?.[1]));
  });
});

it("the three programs made the same checks", () => {
  expect([...passed.keys()]).toEqual(GENERATORS);
  expect(new Set(passed.values()).size, JSON.stringify([...passed])).toBe(1);
});
