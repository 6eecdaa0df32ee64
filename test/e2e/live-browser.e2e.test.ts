/**
 * Live sessions in real headless Chromium against a real `wrangler dev`: the SDK's `live()` in a
 * page through a reconnect after the shard closed its socket (live-scenario.ts, the same scenario
 * the Node test runs), and the learner page showing the shared model's live version as another
 * client pushes. `npm run build:web` builds the page (npm test does).
 */
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PARAMETERS } from "../../examples/mnist/model";
import { createShardstep } from "../../packages/client/src/index";
import type { LearnerState } from "../../web/learner";
import { browserSession, watchForErrors } from "./support/browser";
import { expectReconnected, shortLivedToken } from "./support/live-expect";
import type { ReconnectInput, ReconnectOutcome } from "./support/live-scenario";
import { adminToken, mintToken } from "./support/server";

const session = browserSession();

/** The scenario and the SDK as one browser module that sets `window.reconnectScenario`. */
async function scenarioBundle(): Promise<string> {
  const entry = fileURLToPath(new URL("./support/live-scenario.ts", import.meta.url));
  const result = await build({
    stdin: { contents: `import { reconnectScenario } from ${JSON.stringify(entry)}; window.reconnectScenario = reconnectScenario;`, resolveDir: fileURLToPath(new URL(".", import.meta.url)), loader: "ts" },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

describe("live sessions in Chromium", () => {
  it("the SDK's session in a page: pushes, notices of another client's pushes, a reconnect that resends once and resumes", async () => {
    const context = await session.chromium().newContext();
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      watchForErrors(page, errors);
      // A document of the server's own origin (no page of the server's would run a test's script:
      // the learner page's Content-Security-Policy allows its own scripts only), then the bundle in it.
      await page.goto(`${session.server.baseUrl}/health`);
      await page.addScriptTag({ content: await scenarioBundle(), type: "module" });
      await page.waitForFunction(() => "reconnectScenario" in window);
      const token = await adminToken();
      const short = await shortLivedToken();
      const input: ReconnectInput = { baseUrl: session.server.baseUrl, shard: "live.chromium", adminToken: token, shortToken: short.token, expiresAt: short.expiresAt, freshToken: token };
      const outcome = await page.evaluate(
        (args) => (window as unknown as { reconnectScenario(input: ReconnectInput): Promise<ReconnectOutcome> }).reconnectScenario(args),
        input,
      );
      console.log(`live reconnect (chromium): ${JSON.stringify(outcome)}`);
      expectReconnected(outcome);
      // Chromium asks for /favicon.ico for a document that names no icon (the server has none): not the session's.
      expect(errors.filter((e) => !e.startsWith(`${session.server.baseUrl}/health: Failed to load resource: the server responded with a status of 404`))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("the learner page pushes over a live socket and shows the shared model's live version as another client pushes", async () => {
    const shard = "learn.live-version";
    const token = await mintToken(["admin"], "learn.");
    const context = await session.chromium().newContext();
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      watchForErrors(page, errors);
      await page.goto(`${session.server.baseUrl}/#token=${token}&shard=${shard}`);
      type LearnerWindow = { shardstepLearner?: LearnerState };
      await page.waitForFunction(() => ((window as LearnerWindow).shardstepLearner?.pushes ?? 0) >= 3 || (window as LearnerWindow).shardstepLearner?.phase === "failed");
      await page.click("#pause");
      await page.waitForFunction(() => (window as LearnerWindow).shardstepLearner?.phase !== "pausing");
      const paused = (await page.evaluate(() => (window as LearnerWindow).shardstepLearner))!;
      expect(paused).toMatchObject({ phase: "paused", transport: "socket" });
      expect(paused.error).toBeUndefined();
      // The tab is paused; another client's push moves the shared model, and the tab shows it.
      const other = createShardstep({ baseUrl: session.server.baseUrl, token });
      const pushed = await other.pushGradientSummary(shard, new Float32Array(PARAMETERS));
      await page.waitForFunction((version) => document.getElementById("live-version")?.textContent === String(version), pushed.version);
      const state = (await page.evaluate(() => (window as LearnerWindow).shardstepLearner))!;
      expect(state.liveVersion).toBe(pushed.version);
      expect(state.version).toBe(paused.version);
      expect(pushed.version).toBe(paused.pushes + 1);
      expect(await page.getAttribute("#live-version", "title")).toBe("over a live WebSocket");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
