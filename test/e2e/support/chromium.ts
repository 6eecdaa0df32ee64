/**
 * Headless Chromium for the browser tests: Debian's `chromium` package (no browser is downloaded;
 * .ci/run installs the package), driven by playwright-core. A missing browser fails the test with
 * the command that installs it.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** The browser binary: CHROMIUM_PATH, else Debian's. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: install Debian's package (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH`);
  }
  // Chromium's sandbox refuses to run as root (CI runs as root).
  const sandbox = process.getuid?.() === 0 ? ["--no-sandbox"] : [];
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...sandbox, "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
  });
}
