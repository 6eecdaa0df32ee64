/**
 * The project's wrangler, run from Node by the e2e tests' DevServer (test/e2e/support/server.ts),
 * bench/e2e.ts and the bundle test (test/math/bundle.test.ts): with the project's Node (22; the
 * system one may be older than wrangler wants), no telemetry and no network look-ups.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const root = fileURLToPath(new URL("../../", import.meta.url));

/** The Workers' configurations, relative to the root: production's, and the bench Worker's (bench/floor/: production's plus the benchmark floor). */
export const PRODUCTION_CONFIG = "wrangler.toml";
export const BENCH_CONFIG = "bench/floor/wrangler.toml";

const nodeBinary = existsSync(join(root, "node_modules/.bin/node")) ? join(root, "node_modules/.bin/node") : process.execPath;
const wranglerJs = join(root, "node_modules/wrangler/bin/wrangler.js");

/** What to spawn (with cwd `root`) for `wrangler <args>`; `env` is added to this process's environment. */
export function wranglerCommand(args: string[], env: Record<string, string> = {}): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  return {
    command: nodeBinary,
    args: [wranglerJs, ...args],
    env: {
      ...process.env,
      PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH ?? ""}`,
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      NO_COLOR: "1",
      FORCE_COLOR: "0",
      ...env,
    },
  };
}

/**
 * A copy of the configuration (relative to the root) written into `dir` as wrangler.toml, with
 * `main` and the static assets' folder made absolute: wrangler then keeps its bundles (.wrangler/tmp)
 * and looks for .dev.vars in `dir`, not in the project. Answers the copy's path.
 */
export function copyConfig(config: string, dir: string): string {
  const path = resolve(root, config);
  const text = readFileSync(path, "utf8");
  const main = /^main\s*=\s*"([^"]+)"\s*$/m;
  const entry = main.exec(text)?.[1];
  if (!entry) throw new Error(`${config} has no main = "..." line`);
  // The static assets' folder ([assets] directory) is relative to the config too.
  const directory = /^directory\s*=\s*"([^"]+)"\s*$/m;
  const assets = directory.exec(text)?.[1];
  const copy = join(dir, "wrangler.toml");
  const absolute = text.replace(main, `main = ${JSON.stringify(resolve(dirname(path), entry))}`);
  writeFileSync(copy, assets === undefined ? absolute : absolute.replace(directory, `directory = ${JSON.stringify(resolve(dirname(path), assets))}`));
  return copy;
}

/**
 * The bundle a deploy of `config` would upload (`wrangler deploy --dry-run`), written into `dir`/out
 * by wrangler run on a copy of the config in `dir` (its .wrangler/tmp stays out of the project).
 * Answers the folder of the bundle's modules.
 */
export async function deployBundle(config: string, dir: string, extra: string[] = []): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const outdir = join(dir, "out");
  const { command, args, env } = wranglerCommand(["deploy", "--dry-run", "--config", copyConfig(config, dir), "--outdir", outdir, ...extra], { WRANGLER_LOG_PATH: join(dir, "logs") });
  try {
    await promisify(execFile)(command, args, { cwd: root, env, maxBuffer: 16 * 1024 * 1024 });
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`wrangler deploy --dry-run --config ${config} failed:\n${stdout ?? ""}\n${stderr ?? ""}`);
  }
  return outdir;
}
