import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { launchChromium } from "./chromium";
import { DevServer } from "./server";

/** A test file's real `wrangler dev` and headless Chromium, started before its tests and closed after. */
export interface BrowserSession {
  readonly server: DevServer;
  /** The browser; without one every test fails with the reason (a failed beforeAll would skip them). */
  chromium(): Browser;
}

/** Registers the file's beforeAll and afterAll that start and close its server and browser. */
export function browserSession(): BrowserSession {
  let server: DevServer | undefined;
  let launched: Browser | undefined;
  let launchFailure: unknown;
  beforeAll(async () => {
    launched = await launchChromium().catch((error: unknown) => {
      launchFailure = error;
      return undefined;
    });
    server = await DevServer.start();
  });
  afterAll(async () => {
    await launched?.close();
    await server?.dispose();
  });
  return {
    get server() {
      if (!server) throw new Error("the dev server has not started");
      return server;
    },
    chromium() {
      if (!launched) throw launchFailure;
      return launched;
    },
  };
}

/** What a page reported that it should not have: uncaught exceptions and console errors. */
export function watchForErrors(page: Page, errors: string[]): void {
  page.on("pageerror", (error) => errors.push(`${page.url()}: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`${page.url()}: ${message.text()}`);
  });
}
