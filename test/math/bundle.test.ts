/**
 * Nothing of the benchmark floor ships: the bundle `wrangler deploy --dry-run` makes of the
 * production wrangler.toml holds no /bench route, no BENCH_FLOOR flag and no `floor` method of the
 * shard object's class, while the bench Worker's (bench/floor/wrangler.toml) holds the route and
 * the method, so the checks can see them. And the bench Worker's configuration stays the
 * production one but for its name, its entry and the static assets, so the API it serves to
 * bench/e2e.ts is production's.
 *
 * Each dry run bundles the Worker as a deploy would (a few seconds; both run at once). The static
 * assets play no part in the Worker's code: the production run reads an empty folder instead of
 * public/, so this needs no `npm run build:web`, only kernels.wasm (npm run build:wasm).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BENCH_CONFIG, deployBundle, PRODUCTION_CONFIG, root } from "../support/wrangler";

const dir = mkdtempSync(join(tmpdir(), "shardstep-bundle-"));

/** The JavaScript modules of the config's deploy bundle, concatenated. */
async function bundle(config: string, name: string, extra: string[] = []): Promise<string> {
  const outdir = await deployBundle(config, join(dir, name), extra);
  const modules = readdirSync(outdir).filter((f) => /\.m?js$/.test(f));
  if (modules.length === 0) throw new Error(`no JavaScript in ${outdir}: ${readdirSync(outdir).join(", ")}`);
  return modules.map((f) => readFileSync(join(outdir, f), "utf8")).join("\n");
}

/**
 * The methods of the class the bundle exports as `exported`, with those of the classes it extends
 * inside the bundle (esbuild writes `var Name = class extends Base {`, members indented by two).
 */
function methodsOfExportedClass(js: string, exported: string): string[] {
  const exports = /^export \{\n([\s\S]*?)\n\};/m.exec(js)?.[1] ?? "";
  let local = exports
    .split(",")
    .map((e) => e.trim().split(/\s+as\s+/))
    .find((names) => (names[1] ?? names[0]) === exported)?.[0];
  if (!local) throw new Error(`the bundle exports no ${exported}`);
  const methods: string[] = [];
  while (local) {
    const head = new RegExp(`^var ${local} = class(?: extends ([\\w$]+))? \\{$`, "m").exec(js);
    if (!head) break; // a class from outside the bundle (cloudflare:workers' DurableObject)
    const start = head.index + head[0].length;
    const body = js.slice(start, js.indexOf("\n};", start));
    methods.push(...[...body.matchAll(/^ {2}(?:async |static |get |set )*([\w$]+)\(/gm)].map((m) => m[1]!));
    local = head[1];
  }
  return methods;
}

/** What of the benchmark floor a bundle holds. */
function floorTraces(js: string): string[] {
  const traces: string[] = [];
  if (/["'`]\/bench/.test(js)) traces.push("a /bench route");
  if (js.includes("BENCH_FLOOR")) traces.push("the BENCH_FLOOR flag");
  if (methodsOfExportedClass(js, "ShardObject").includes("floor")) traces.push("a floor( method of ShardObject");
  return traces;
}

/** The bench Worker's own class (the socket floor, bench/floor/live-floor.ts): its binding and its migration are the blocks production lacks. */
const BENCH_ONLY_CLASS = "LiveFloorObject";

/**
 * A wrangler.toml without comments, blank lines, its top-level `name` and `main`, its [assets],
 * and the blocks (a table and its lines) that name the bench Worker's own class.
 */
function sharedConfig(path: string): string[] {
  const blocks: string[][] = [[]];
  for (const line of readFileSync(join(root, path), "utf8").split("\n").map((l) => l.trim())) {
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("[")) blocks.push([]);
    blocks.at(-1)!.push(line);
  }
  return blocks
    .filter((b) => b[0] !== "[assets]" && !b.some((l) => l.includes(BENCH_ONLY_CLASS)))
    .flatMap((b, i) => (i === 0 ? b.filter((l) => !/^(name|main)\s*=/.test(l)) : b));
}

let production: string;
let bench: string;

beforeAll(async () => {
  const noAssets = join(dir, "no-assets");
  mkdirSync(noAssets);
  [production, bench] = await Promise.all([bundle(PRODUCTION_CONFIG, "production", ["--assets", noAssets]), bundle(BENCH_CONFIG, "bench")]);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the deploy bundle", () => {
  it("of production holds nothing of the benchmark floor", () => {
    expect(methodsOfExportedClass(production, "ShardObject")).toContain("push");
    expect(floorTraces(production)).toEqual([]);
  });

  it("of the bench Worker holds the floor's route and method, so the checks see them", () => {
    expect(floorTraces(bench)).toEqual(["a /bench route", "a floor( method of ShardObject"]);
    // The flag check, on what the production Worker used to read.
    expect(floorTraces(bench + '\nif (c.env.BENCH_FLOOR === "on") {}')).toContain("the BENCH_FLOOR flag");
    // The bench Worker's shard object is production's, extended: it has the API's methods too.
    expect(methodsOfExportedClass(bench, "ShardObject")).toEqual(expect.arrayContaining(["floor", "push", "info"]));
  });

  it("of the bench Worker is configured as production but for its name, entry, assets and its own class", () => {
    expect(sharedConfig(BENCH_CONFIG)).toEqual(sharedConfig(PRODUCTION_CONFIG));
    // The bench's own class is bound and migrated in the bench Worker alone.
    expect(readFileSync(join(root, BENCH_CONFIG), "utf8")).toContain(`class_name = "${BENCH_ONLY_CLASS}"`);
    expect(readFileSync(join(root, PRODUCTION_CONFIG), "utf8")).not.toContain(BENCH_ONLY_CLASS);
    expect(production).not.toContain(BENCH_ONLY_CLASS);
  });
});
