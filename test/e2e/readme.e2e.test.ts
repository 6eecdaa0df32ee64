/**
 * Every example of README.md, run as written against a real `wrangler dev`, printing what the README
 * shows (test/e2e/support/readme.ts). The sh blocks run in order in one bash from the repository
 * root (they share TOKEN and H), with the README's address 127.0.0.1:8787 replaced by the test
 * server's and AUTH_SECRET set to the server's secret (what `npm start` puts in .dev.vars); the ts
 * blocks run with tsx from the repository root, as the README tells a user to, with
 * SHARDSTEP_TOKEN set; the python blocks likewise with Debian's python3 and the Python client on
 * PYTHONPATH (clients/python), as the README tells. Also: the spec the README names is served, byte for byte, at /openapi.yaml.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeBlocks, shownPattern, showsOutput, type CodeBlock } from "./support/readme";
import { adminToken, AUTH_SECRET, DevServer } from "./support/server";
import { root } from "../support/wrangler";

const README_ADDRESS = "127.0.0.1:8787";
const blocks = codeBlocks(readFileSync(join(root, "README.md"), "utf8"));
const runnable = blocks.filter((b) => !b.skipped);

let server: DevServer;

beforeAll(async () => {
  server = await DevServer.start();
});

afterAll(async () => {
  await server?.dispose();
});

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Runs `command` from the repository root with `input` on stdin and the project's binaries on PATH. */
function run(command: string, args: string[], input: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: root,
      env: { ...process.env, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH ?? ""}`, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ stdout, stderr, code }));
    child.stdin.end(input);
  });
}

const here = (code: string) => code.replaceAll(README_ADDRESS, `127.0.0.1:${server.port}`);
const markerOf = (i: number) => `::readme-block-${i}::`;
const describeBlock = (b: CodeBlock) => `README.md line ${b.line} (${b.language})`;

function expectShown(block: CodeBlock, output: string, stderr: string): void {
  const message = `${describeBlock(block)} printed:\n${output}\n--- it shows (as ${shownPattern(block.shows)}):\n${block.shows.join("\n")}\n--- stderr:\n${stderr}`;
  expect(showsOutput(block, output), message).toBe(true);
}

describe("README.md", () => {
  it("the check: a block's output is all it shows, in order, `...` for the rest", () => {
    const [block] = codeBlocks('<!-- x -->\n```sh\ncurl x\n#> {"version":1,...}\n#>    -0.01   0.02\n```\n');
    expect(block).toMatchObject({ language: "sh", line: 2, skipped: false, shows: ['{"version":1,...}', "   -0.01   0.02"] });
    expect(showsOutput(block!, '{"version":1,"values":[]}\n -0.01 0.02\n')).toBe(true);
    expect(showsOutput(block!, '{"version":1,"values":[]} -0.01 0.02')).toBe(true);
    expect(showsOutput(block!, '{"version":2,"values":[]}\n -0.01 0.02\n')).toBe(false);
    expect(showsOutput(block!, '{"version":1,"values":[]}\n -0.01 0.02\nmore\n')).toBe(false);
    expect(showsOutput(block!, ' -0.01 0.02\n{"version":1}\n')).toBe(false);
    expect(codeBlocks("<!-- readme-test: skip (why) -->\n```ts\nrun()\n//> 1\n```\n")[0]).toMatchObject({ language: "ts", skipped: true, shows: ["1"] });
  });

  it("has examples, each showing its output", () => {
    expect(runnable.filter((b) => b.language === "sh").length).toBeGreaterThanOrEqual(2);
    expect(runnable.filter((b) => b.language === "ts").length).toBeGreaterThanOrEqual(1);
    for (const block of runnable) expect(block.shows.length, `${describeBlock(block)} shows no output`).toBeGreaterThan(0);
  });

  it("sh: every block, in order, in one shell, prints what it shows", async () => {
    const sh = runnable.filter((b) => b.language === "sh");
    const script = sh.map((b, i) => `${here(b.code)}\necho; echo '${markerOf(i)}'\n`).join("");
    const { stdout, stderr } = await run("bash", ["-s"], script, { AUTH_SECRET });
    const outputs = stdout.split(/^::readme-block-\d+::$/m);
    expect(outputs.length, `the blocks did not all run:\n${stdout}\n--- stderr:\n${stderr}`).toBe(sh.length + 1);
    sh.forEach((block, i) => expectShown(block, outputs[i]!, stderr));
  });

  it("ts: every block runs with tsx from the repository root and prints what it shows", async () => {
    const env = { SHARDSTEP_TOKEN: await adminToken() };
    for (const block of runnable.filter((b) => b.language === "ts")) {
      const { stdout, stderr, code } = await run("tsx", ["-"], here(block.code), env);
      expect(code, `${describeBlock(block)} failed:\n${stderr}`).toBe(0);
      expectShown(block, stdout, stderr);
    }
  });

  it("python: every block runs with python3 from the repository root and prints what it shows", async () => {
    const env = { SHARDSTEP_TOKEN: await adminToken(), PYTHONPATH: join(root, "clients/python"), ATEN_CPU_CAPABILITY: "default" };
    const python = runnable.filter((b) => b.language === "python");
    expect(python.length).toBeGreaterThanOrEqual(1);
    for (const block of python) {
      const { stdout, stderr, code } = await run("/usr/bin/python3", ["-"], here(block.code), env);
      expect(code, `${describeBlock(block)} failed:\n${stderr}`).toBe(0);
      expectShown(block, stdout, stderr);
    }
  });

  it("names a spec that the server serves as it is at /openapi.yaml", async () => {
    const res = await fetch(`${server.baseUrl}/openapi.yaml`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/yaml/);
    expect(await res.text()).toBe(readFileSync(join(root, "openapi.yaml"), "utf8"));
  });
});
