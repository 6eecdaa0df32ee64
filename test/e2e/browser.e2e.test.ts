/**
 * The Worker's static assets in real headless Chromium against a real `wrangler dev`: two tabs of
 * the learner page (/) train one shard together through the SDK, and the API reference (/docs)
 * renders with nothing but the server. `npm run build:web` builds the assets (npm test does).
 */
import { readFileSync } from "node:fs";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createShardstep, type Shardstep } from "../../sdk/client";
import { DOCS_CSP, externalLoads } from "../../scripts/web/docs";
import type { LearnerState, LossPoint } from "../../web/learner";
import { browserSession, watchForErrors } from "./support/browser";
import { adminToken, mintToken } from "./support/server";

/** Pushes each tab makes before the tabs are paused. */
const PUSHES_PER_TAB = 120;
// Within the e2e testTimeout (180 s), with room for the pages to load and the checks after.
const TRAINING_TIMEOUT_MS = 140_000;

const session = browserSession();
const chromium = () => session.chromium();
let api: Shardstep;

beforeAll(async () => {
  api = createShardstep({ baseUrl: session.server.baseUrl, token: await adminToken() });
});

type LearnerWindow = { shardstepLearner?: LearnerState };

const learnerState = (page: Page): Promise<LearnerState | undefined> => page.evaluate(() => (window as LearnerWindow).shardstepLearner);

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

describe("the learner page", () => {
  let context: BrowserContext;
  afterAll(() => context?.close());

  it("two tabs train one shard together: the loss falls and the shard's version advances", async () => {
    const started = performance.now();
    const shard = `learn.e2e-${Date.now().toString(36)}`;
    const token = await mintToken(["admin"], "learn.");
    context = await chromium().newContext();
    const errors: string[] = [];
    const tabs = await Promise.all(
      [0, 1].map(async () => {
        const page = await context.newPage();
        watchForErrors(page, errors);
        await page.goto(`${session.server.baseUrl}/#token=${token}&shard=${shard}`);
        return page;
      }),
    );
    // The token is taken out of the address bar at once; the shard stays.
    for (const tab of tabs) expect(tab.url()).toBe(`${session.server.baseUrl}/#shard=${shard}`);

    // Each tab trains until it has pushed PUSHES_PER_TAB times and seen an update of the other tab
    // (its version is ahead of its own pushes); both go on until both have. How soon the second tab
    // starts after the first depends on the machine (loading the page and its digits), so nothing
    // below counts on the tabs starting together.
    await Promise.all(
      tabs.map((tab) =>
        tab.waitForFunction(
          (pushes) => {
            const state = (window as LearnerWindow).shardstepLearner;
            return state !== undefined && ((state.pushes >= pushes && state.version > state.pushes) || state.phase === "failed");
          },
          PUSHES_PER_TAB,
          { timeout: TRAINING_TIMEOUT_MS },
        ),
      ),
    );
    await Promise.all(tabs.map((tab) => tab.click("#pause")));
    await Promise.all(tabs.map((tab) => tab.waitForFunction(() => (window as LearnerWindow).shardstepLearner?.phase !== "pausing")));
    const trainedFor = (performance.now() - started) / 1000;
    const states = (await Promise.all(tabs.map(learnerState))).map((state) => state!);

    for (const state of states) {
      expect(state.error).toBeUndefined();
      expect(state.phase).toBe("paused");
      expect(state.pushes).toBeGreaterThanOrEqual(PUSHES_PER_TAB);
      // The tab's copy holds the other tab's updates too.
      expect(state.version).toBeGreaterThan(state.pushes);
    }
    expect(new Set(states.map((s) => s.clientId)).size).toBe(2);

    // Every update of the shard came from one push of one tab: versions 1..N, none twice, none lost.
    const pushes: LossPoint[] = states.flatMap((s) => s.losses).sort((a, b) => a.version - b.version);
    const total = states.reduce((n, s) => n + s.pushes, 0);
    expect(pushes.map((p) => p.version)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const info = await api.getShard(shard);
    expect(info.version).toBe(total);
    expect(info.version).toBeGreaterThanOrEqual(2 * PUSHES_PER_TAB);
    // They trained side by side, not one after the other: the spans of versions the two tabs
    // produced overlap (where each span starts and ends depends on the machine's speed).
    const spans = states.map((state) => {
      const versions = state.losses.map((p) => p.version);
      return [Math.min(...versions), Math.max(...versions)] as const;
    });
    expect(Math.max(spans[0]![0], spans[1]![0])).toBeLessThan(Math.min(spans[0]![1], spans[1]![1]));

    // The loss fell: from ln 10 at the zeros the shard starts from, on the minibatches and on the
    // held-out digits.
    expect(pushes[0]!.loss).toBeCloseTo(Math.log(10), 5);
    const first = mean(pushes.slice(0, 20).map((p) => p.loss));
    const last = mean(pushes.slice(-20).map((p) => p.loss));
    expect(last).toBeLessThan(0.4 * first);
    for (const state of states) {
      const heldOut = state.heldOut.at(-1)!;
      expect(heldOut.loss).toBeLessThan(0.7);
      expect(heldOut.accuracy).toBeGreaterThan(0.8);
    }

    // What the tab shows: the numbers and both charts.
    for (const [i, tab] of tabs.entries()) {
      expect(await tab.textContent("#version")).toBe(String(states[i]!.version));
      expect(await tab.locator("#loss-chart svg path").count()).toBeGreaterThanOrEqual(3);
      expect(await tab.locator("#accuracy-chart svg path").count()).toBeGreaterThanOrEqual(1);
    }
    expect(errors).toEqual([]);
    const heldOut = states.map((s) => s.heldOut.at(-1)!);
    console.log(
      `browser learner: ${states.map((s) => s.pushes).join(" + ")} pushes -> shard version ${info.version} in ${trainedFor.toFixed(1)} s; ` +
        `minibatch loss ${first.toFixed(3)} (first 20) -> ${last.toFixed(3)} (last 20); ` +
        `held-out loss ${heldOut.map((h) => h.loss.toFixed(3)).join(", ")}, accuracy ${heldOut.map((h) => (100 * h.accuracy).toFixed(1)).join("%, ")}%`,
    );
  });
});

describe("the API reference at /docs", () => {
  const spec = parse(readFileSync(new URL("../../openapi.yaml", import.meta.url), "utf8")) as {
    paths: Record<string, Record<string, { operationId: string; summary?: string; tags?: string[] }>>;
  };
  const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      summary: operation.summary ?? "",
      // Redoc's address of the operation.
      hash: `#/${operation.tags?.[0]?.toLowerCase() ?? ""}/${operation.operationId.toLowerCase()}`,
    })),
  );

  it("is one HTML page that loads nothing from another origin", async () => {
    const response = await fetch(`${session.server.baseUrl}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${DOCS_CSP}">`);
    expect(externalLoads(html)).toEqual([]);
    expect(operations.length).toBeGreaterThan(10);
  });

  it("renders every operation in Chromium, with every request answered by the server itself", async () => {
    const context = await chromium().newContext();
    try {
      const elsewhere: string[] = [];
      const errors: string[] = [];
      // Offline but for the server: a request for another origin is recorded and dropped.
      await context.route(
        (url) => url.origin !== session.server.baseUrl && url.protocol !== "data:",
        (route) => {
          elsewhere.push(route.request().url());
          return route.abort();
        },
      );
      const page = await context.newPage();
      watchForErrors(page, errors);
      await page.goto(`${session.server.baseUrl}/docs`, { waitUntil: "networkidle" });
      expect(await page.locator("#redoc h1").first().textContent()).toContain("shardstep");
      // Redoc renders an operation once it is navigated to (#/<tag>/<operationId>).
      const shown = (texts: string[]) => {
        const text = (document.getElementById("redoc")?.textContent ?? "").replace(/\s+/g, " ");
        return texts.every((t) => text.includes(t));
      };
      const missing: typeof operations = [];
      for (const operation of operations) {
        await page.evaluate((hash) => (location.hash = hash), operation.hash);
        // A timeout is reported by the assertion below, with the operations that did not show.
        const appeared = await page.waitForFunction(shown, [operation.path, operation.summary], { timeout: 10_000 }).then(() => true, () => false);
        if (!appeared) missing.push(operation);
      }
      expect(missing).toEqual([]);
      expect(elsewhere).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
