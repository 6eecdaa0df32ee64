/**
 * Headless Chromium for the browser tests: Debian's `chromium` package, driven by playwright-core
 * (which downloads no browser). `npm test` and `npm run test:e2e` install the package first when it
 * is missing (scripts/ensure-test-packages.mjs, their pretest); a test run some other way fails here
 * with what to run.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** The browser binary: CHROMIUM_PATH, else Debian's. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: run \`node scripts/ensure-test-packages.mjs\` (installs Debian's chromium as root, else says how) or set CHROMIUM_PATH`);
  }
  // Chromium's sandbox refuses to run as root (CI runs as root).
  const sandbox = process.getuid?.() === 0 ? ["--no-sandbox"] : [];
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...sandbox, "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
  });
}
