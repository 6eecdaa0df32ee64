/**
 * examples/sweep-mnist against a real `wrangler dev`: the example's own run (the sweep master, its
 * worker processes training softmax regression on MNIST through the trials' shards, the ensembles
 * averaged by the client) with small budgets, and its command line. Every assertion holds whatever
 * order the workers' calls arrive in: which trials the median rule prunes depends on timing, so
 * only what the rules guarantee is checked.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createShardstep, type Shardstep } from "../../sdk/client";
import { runSweepExample, type ExampleSettings } from "../../examples/sweep-mnist/run";
import { DEFAULT_SEARCH, LR_RANGE } from "../../examples/sweep-mnist/sweep";
import { root } from "../support/wrangler";
import { adminToken, DevServer } from "./support/server";

let server: DevServer;
let token: string;
let api: Shardstep;

beforeAll(async () => {
  server = await DevServer.start();
  token = await adminToken();
  api = createShardstep({ baseUrl: server.baseUrl, token });
});

afterAll(async () => {
  await server?.dispose();
});

/** The example's settings shrunk: 6 trials of 20 steps, then 3 of 40; two workers; minibatches of 32. */
const small = (sweep: string): ExampleSettings => ({
  url: server.baseUrl,
  token,
  sweep,
  search: { ...DEFAULT_SEARCH, stages: [{ trials: 6, steps: 20 }, { trials: 3, steps: 40 }], parallel: 2, pruneAfter: 3, warmupSteps: 10 },
  train: { batchSize: 32, reportEvery: 10, checkpointEvery: 20 },
  workers: 2,
  top: 3,
  replicates: 2,
});

describe("examples/sweep-mnist", () => {
  it("runs a coarse-to-fine sweep with worker processes to its end, then serves the ensembles the client averages", async () => {
    const lines: string[] = [];
    const result = await runSweepExample({ ...small("e2e.sweep"), log: (line) => lines.push(line) });
    const search = result.trials.filter((t) => t.replicate_of === null);
    const replicates = result.trials.filter((t) => t.replicate_of !== null);

    // The search ran to its end: every trial complete or pruned, none failed, none left behind.
    expect(result.sweep.state).toBe("done");
    expect(search.map((t) => t.search_index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    for (const t of search) expect(["complete", "pruned"]).toContain(t.state);
    const counts = result.sweep.counts;
    expect((counts.complete ?? 0) + (counts.pruned ?? 0)).toBe(9);
    expect(counts.failed ?? 0).toBe(0);
    // The median rule prunes nothing until 3 trials have completed.
    expect(counts.complete).toBeGreaterThanOrEqual(3);
    for (const t of search.filter((t) => t.state === "complete")) {
      // Reported every 10 steps before the last; the completion carries the final validation loss.
      expect(t.last_report!.step).toBe(t.budget - 10);
      expect(t.value).toBe(t.metrics!.loss);
      expect(t.metrics!.accuracy).toBeGreaterThan(0);
    }
    for (const t of search.filter((t) => t.state === "pruned")) expect(t.reason).toMatch(/median/);
    // Each worker ran its share; between them every trial once (no lease was lost).
    expect(result.workers.search.map((w) => w.worker)).toEqual(["w1", "w2"]);
    expect(result.workers.search.reduce((n, w) => n + w.trials, 0)).toBe(9);
    expect(result.workers.search.reduce((n, w) => n + w.lost + w.failed, 0)).toBe(0);
    // A line per finished trial, then the table.
    expect(lines.filter((l) => /^\s+\d+ s {2}trial +\d+ /.test(l))).toHaveLength(9 + replicates.length);

    // Stage 1 drew from the narrowed ranges the master reports.
    const stage1 = result.sweep.stages[1]!;
    expect(stage1.started).toBe(true);
    const lr = stage1.ranges.lr as { low: number; high: number };
    expect(Math.log10(lr.high / lr.low)).toBeCloseTo(Math.log10(LR_RANGE.wide[1] / LR_RANGE.wide[0]) * DEFAULT_SEARCH.shrink, 9);
    for (const t of search.filter((t) => t.stage === 1)) {
      expect(t.budget).toBe(40);
      expect(t.params.lr as number).toBeGreaterThanOrEqual(lr.low);
      expect(t.params.lr as number).toBeLessThanOrEqual(lr.high);
      expect((stage1.ranges.rule as { values: string[] }).values).toContain(t.params.rule);
    }

    // The best trial is the complete one with the lowest validation loss.
    const best = result.best.trial;
    const complete = search.filter((t) => t.state === "complete").sort((a, b) => a.value! - b.value!);
    expect(best.id).toBe(complete[0]!.id);

    // Top-k: the best complete trials, best first, their weights those of their shards.
    expect(result.top.members.map((m) => m.trial)).toEqual(complete.slice(0, 3).map((t) => t.id));
    expect(result.top.members.map((m) => m.name)).toEqual(complete.slice(0, 3).map((t) => `trial-${t.id}`));
    const { members } = await api.sweeps.ensemble("e2e.sweep", { top: 3 });
    for (const m of members) {
      const t = search.find((s) => s.id === m.trial)!;
      expect(m.value).toBe(t.value);
      expect(Array.from(m.weights)).toEqual(Array.from((await api.getWeights(t.shard!)).values));
    }

    // Replicates: the best trial's parameters under other initialisation seeds, run by the workers.
    expect(replicates).toHaveLength(2);
    for (const r of replicates) {
      expect(r).toMatchObject({ replicate_of: best.id, state: "complete", params: best.params, budget: best.budget, search_index: null });
      expect(r.seed).not.toBe(best.seed);
    }
    expect(new Set(replicates.map((r) => r.seed)).size).toBe(2);
    expect(result.workers.replicates.reduce((n, w) => n + w.completed, 0)).toBe(2);
    expect(result.replicates!.members.map((m) => m.trial)).toEqual([best.id, ...replicates.map((r) => r.id)]);
    const replicaWeights = await api.sweeps.ensemble("e2e.sweep", { replicatesOf: best.id });
    expect(Array.from(replicaWeights.members[1]!.weights)).not.toEqual(Array.from(replicaWeights.members[0]!.weights));

    // Averaged predictions: every ensemble far above chance (10%) on the 2,000 test digits.
    for (const accuracy of [result.best.testAccuracy, result.top.testAccuracy, result.replicates!.testAccuracy]) expect(accuracy).toBeGreaterThan(0.5);
  });

  it("warns that the best learning rate lies at the edge of --narrow's range", async () => {
    // --narrow's space on a grid of both bounds of each parameter (12 trials of 10 steps, no
    // pruning). Learning rates this small all underfit, so for every momentum and rule the larger
    // is better: the best trial has lr 1e-4, the top of the range, whatever order the trials run in.
    const settings = small("e2e.narrow");
    const result = await runSweepExample({
      ...settings,
      search: { ...settings.search, narrow: true },
      configure: (config) => ({ ...config, algorithm: { kind: "grid", points: 2 }, pruner: { kind: "none" }, budget: { ...config.budget, trials: 12, resource: 10 } }),
      top: 2,
      replicates: 0,
    });
    expect(result.trials).toHaveLength(12);
    expect(result.trials.every((t) => t.state === "complete")).toBe(true);
    expect(Math.log10(result.best.trial.params.lr as number)).toBeCloseTo(-4, 9);
    const warning = result.sweep.warnings.find((w) => w.param === "lr");
    expect(warning).toMatchObject({ side: "high", low: LR_RANGE.narrow[0], high: LR_RANGE.narrow[1] });
    expect(warning!.message).toMatch(/widen high/);
    expect(result.top.members).toHaveLength(2);
    expect(result.replicates).toBeNull();
  });

  it("main.ts: a small run from the command line writes the plots only where --out says", async () => {
    const out = mkdtempSync(join(tmpdir(), "sweep-mnist-e2e-"));
    try {
      const args = ["--url", server.baseUrl, "--token", token, "--name", "e2e.cli", "--stages", "4x10,2x10", "--workers", "2", "--batch", "32", "--report-every", "5", "--top", "2", "--replicates", "1", "--out", out];
      const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", "examples/sweep-mnist/main.ts", ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
      });
      expect(code, stderr).toBe(0);
      expect(stdout).toMatch(/6 search trials: \d complete, \d pruned, 0 failed \(state: done\)/);
      expect(stdout).toMatch(/top-2 ensemble \(trials \d+, \d+; .*\): test accuracy \d+\.\d\d%/);
      expect(stdout).toMatch(/and its 1 replicates .*: ensemble test accuracy \d+\.\d\d%/);
      expect(readdirSync(out).sort()).toEqual(["curves.svg", "objective-lr.svg", "objective-momentum.svg", "objective-rule.svg"]);
      for (const file of readdirSync(out)) expect(readFileSync(join(out, file), "utf8")).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
