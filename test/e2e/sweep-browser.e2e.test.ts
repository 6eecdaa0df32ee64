/**
 * Browser tabs as the workers of a hyperparameter sweep, in real headless Chromium against a real
 * `wrangler dev`: a small coarse-to-fine sweep over the learner's softmax-regression shard (the
 * learning rate applied by the server, the batch size by the tab), two learner tabs joined to it
 * by a link take, train, report and complete its trials until the sweep is done, and the sweep
 * page (/sweep) shows the result: the counts, the best trial, the stages, the trials table and the
 * sweep's plots as images. `npm run build:web` builds the assets (npm test does).
 */
import type { BrowserContext, Page, Route } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { LEARNER_SHARD_CONFIG } from "../../web/learner";
import type { SweepViewState } from "../../web/sweep-page";
import type { SweepWorkerState } from "../../web/sweep-worker";
import { browserSession, watchForErrors } from "./support/browser";
import { mintToken } from "./support/server";

/** The sweep: 4 trials of 30 pushes, then 2 of 60 in ranges halved around the best; 2 at once. */
const SWEEP_CONFIG = {
  objective: { metric: "loss", direction: "minimize" },
  space: {
    lr: { kind: "log_uniform", low: 1e-3, high: 0.1, target: "hyper.lr" },
    batch: { kind: "int", low: 16, high: 128, log: true },
  },
  algorithm: { kind: "coarse_to_fine", stages: [{ trials: 4, budget: 30 }, { trials: 2, budget: 60 }], shrink: 0.5 },
  pruner: { kind: "median", startup_trials: 2, warmup_steps: 10 },
  budget: { parallel: 2, unit: "steps" },
  template: { shard: LEARNER_SHARD_CONFIG },
  seed: 5,
  lease_seconds: 120,
};
const TRIALS = 6;
// Within the e2e testTimeout (180 s), with room for the pages to load and the checks after.
const SWEEP_TIMEOUT_MS = 130_000;

const session = browserSession();
const chromium = () => session.chromium();

type Json = Record<string, any>;
type PageWindow = { shardstepSweepWorker?: SweepWorkerState; shardstepSweepView?: SweepViewState };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("browser tabs as sweep workers", () => {
  let context: BrowserContext;
  afterAll(() => context?.close());

  it("two tabs run a sweep to its end, and the sweep page shows its trials and plots", async () => {
    const started = performance.now();
    const sweep = `learn.sweep-e2e-${Date.now().toString(36)}`;
    const token = await mintToken(["admin"], "learn.");
    const call = async (path: string, init: RequestInit = {}): Promise<Json> => {
      const res = await fetch(`${session.server.baseUrl}/v1/sweeps/${sweep}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
      });
      const body = (await res.json()) as Json;
      if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${JSON.stringify(body)}`);
      return body;
    };
    await call("", { method: "PUT", body: JSON.stringify(SWEEP_CONFIG) });

    context = await chromium().newContext();
    const errors: string[] = [];
    // Whether both tabs take trials should not depend on how fast the machine loads a page: the first
    // request for a trial of each tab is held until both tabs have asked (then both get one, as the
    // sweep leases 2 at once); every later request goes straight through.
    const asked = new Set<Page>();
    let releaseAsks!: () => void;
    const bothAsked = new Promise<void>((resolve) => (releaseAsks = resolve));
    await context.route(`${session.server.baseUrl}/v1/sweeps/${sweep}/trials`, async (route: Route) => {
      const page = route.request().frame().page();
      if (route.request().method() === "POST" && !asked.has(page)) {
        asked.add(page);
        if (asked.size === 2) releaseAsks();
        await bothAsked;
      }
      await route.continue();
    });
    const tabs = await Promise.all(
      [0, 1].map(async () => {
        const page = await context.newPage();
        watchForErrors(page, errors);
        await page.goto(`${session.server.baseUrl}/#token=${token}&sweep=${sweep}`);
        return page;
      }),
    );
    // The token is taken out of the address bar at once; the sweep stays.
    for (const tab of tabs) expect(tab.url()).toBe(`${session.server.baseUrl}/#sweep=${sweep}`);

    // Until the sweep is done (or a tab stopped on an error), asking the API.
    const workerState = (tab: Page) => tab.evaluate(() => (window as PageWindow).shardstepSweepWorker);
    let view: Json = {};
    for (const deadline = performance.now() + SWEEP_TIMEOUT_MS; performance.now() < deadline; await sleep(1000)) {
      view = await call("");
      if (view.state === "done") break;
      const states = await Promise.all(tabs.map(workerState));
      const failed = states.find((s) => s?.phase === "failed");
      if (failed) throw new Error(`a tab stopped: ${failed.error}`);
    }
    expect(view.state, `the sweep is not done after ${SWEEP_TIMEOUT_MS / 1000} s: ${JSON.stringify(view.counts)}`).toBe("done");
    const sweptFor = (performance.now() - started) / 1000;
    // Each tab learns it at its next request for a trial.
    await Promise.all(tabs.map((tab) => tab.waitForFunction(() => (window as PageWindow).shardstepSweepWorker?.phase === "done", undefined, { timeout: 20_000 })));
    const states = (await Promise.all(tabs.map(workerState))).map((s) => s!);

    // Every trial ended complete or pruned, under one of the two tabs.
    const { trials } = (await call("/trials")) as { trials: Json[] };
    expect(trials).toHaveLength(TRIALS);
    expect(view.trials).toBe(TRIALS);
    for (const trial of trials) expect(["complete", "pruned"], `trial ${trial.id}: ${trial.state} ${trial.reason}`).toContain(trial.state);
    expect(view.counts.complete + view.counts.pruned).toBe(TRIALS);
    const workers = states.map((s) => s.worker);
    expect(new Set(workers).size).toBe(2);
    for (const trial of trials) expect(workers).toContain(trial.worker);

    // Both tabs took trials, and between them every trial once: none lost, none failed.
    for (const state of states) {
      expect(state.error).toBeUndefined();
      expect(state.outcomes.length).toBeGreaterThanOrEqual(1);
      for (const outcome of state.outcomes) expect(["complete", "pruned"]).toContain(outcome.state);
    }
    const taken = states.flatMap((s) => s.outcomes.map((o) => o.trial)).sort((a, b) => a - b);
    expect(taken).toEqual(trials.map((t) => t.id).sort((a, b) => a - b));

    for (const trial of trials) {
      const outcome = states.flatMap((s) => s.outcomes).find((o) => o.trial === trial.id)!;
      const reports = states.flatMap((s) => s.decisions).filter((d) => d.trial === trial.id);
      // Reports every 10 pushes, at the same steps in every trial; only the last one says stop.
      expect(reports.map((r) => r.step)).toEqual(Array.from({ length: reports.length }, (_, i) => 10 * (i + 1)));
      expect(reports.slice(0, -1).every((r) => r.decision === "continue")).toBe(true);
      expect(reports.at(-1)!.decision).toBe("stop");
      expect(trial.reports).toBe(reports.length);
      if (trial.state === "complete") {
        // The budget used, completed with the last report's held-out loss.
        expect(outcome.step).toBe(trial.budget);
        expect(trial.value).toBe(reports.at(-1)!.loss);
      } else {
        expect(trial.reason).toMatch(/pruned/);
        expect(outcome.step).toBeLessThanOrEqual(trial.budget);
      }
      // The server applied the learning rate; the tab drew minibatches of the trial's batch size.
      const shard = (await fetch(`${session.server.baseUrl}/v1/shards/${trial.shard}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json())) as Json;
      expect(shard.config.hyper.lr).toBe(trial.params.lr);
      expect(shard.config.rule).toBe("adam");
    }
    // The first stage's budget is 30 pushes, the second's 60.
    expect(trials.map((t) => t.budget).sort((a, b) => a - b)).toEqual([30, 30, 30, 30, 60, 60]);
    // The sweep learned something: the best held-out loss is well under ln 10, where the zeros start.
    expect(view.best.value).toBeLessThan(0.7 * Math.log(10));

    // What a tab shows: the trials it finished and its reports.
    for (const [i, tab] of tabs.entries()) {
      expect(await tab.textContent("#trials-taken")).toBe(String(states[i]!.outcomes.length));
      expect(await tab.locator("#outcomes tbody tr").count()).toBe(states[i]!.outcomes.length);
      expect(await tab.locator("#decisions tbody tr").count()).toBeGreaterThanOrEqual(1);
      expect(await tab.textContent("#status")).toContain("is done");
    }

    // The sweep page: the counts, the best trial, the stages, every trial and the plots.
    const page = await context.newPage();
    watchForErrors(page, errors);
    await page.goto(`${session.server.baseUrl}/sweep#token=${token}&sweep=${sweep}`);
    expect(page.url()).toBe(`${session.server.baseUrl}/sweep#sweep=${sweep}`);
    await page.waitForFunction(() => (window as PageWindow).shardstepSweepView?.phase === "done", undefined, { timeout: 30_000 });
    const shown = (await page.evaluate(() => (window as PageWindow).shardstepSweepView))!;
    expect(shown.state).toBe("done");
    expect(shown.trials).toBe(TRIALS);
    expect(await page.textContent("#sweep-state")).toBe("done");
    expect(await page.textContent("#count-complete")).toBe(String(view.counts.complete));
    expect(await page.textContent("#count-pruned")).toBe(String(view.counts.pruned));
    expect(await page.textContent("#best")).toContain(`Trial ${view.best.id}:`);
    expect(await page.locator("#stages tbody tr").count()).toBe(2);
    expect(await page.locator("#trials tbody tr").count()).toBe(TRIALS);
    expect(await page.locator("#trials tbody tr.best").getAttribute("data-trial")).toBe(String(view.best.id));
    expect(await page.locator("#trials thead th").allTextContents()).toEqual(expect.arrayContaining(["lr", "batch", "loss"]));
    // One plot per parameter and the learning curves, each an image that loaded.
    const plots = page.locator("#plots img");
    expect(await plots.count()).toBe(3);
    expect(shown.plots.map((p) => p.name).sort()).toEqual(["curves", "objective:batch", "objective:lr"]);
    expect(shown.plots.every((p) => p.loaded)).toBe(true);
    const images = await plots.evaluateAll((imgs) =>
      (imgs as HTMLImageElement[]).map((img) => ({ src: img.src, complete: img.complete, width: img.naturalWidth, height: img.naturalHeight })),
    );
    for (const image of images) {
      expect(image.src).toMatch(/^blob:/);
      expect(image.complete).toBe(true);
      expect(image.width).toBeGreaterThan(0);
      expect(image.height).toBeGreaterThan(0);
    }
    expect(errors).toEqual([]);

    const pruned = trials.filter((t) => t.state === "pruned").length;
    console.log(
      `browser sweep: ${TRIALS} trials (${TRIALS - pruned} complete, ${pruned} pruned) by 2 tabs (${states.map((s) => s.outcomes.length).join(" + ")}) ` +
        `in ${sweptFor.toFixed(1)} s; best trial ${view.best.id}: held-out loss ${view.best.value.toFixed(3)} at lr ${Number(view.best.params.lr).toPrecision(3)}, batch ${view.best.params.batch}; ` +
        `whole test ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  });
});
