#!/usr/bin/env node
/**
 * The browser of the browser tests (test/e2e/support/chromium.ts): CHROMIUM_PATH, else Debian's
 * /usr/bin/chromium, driven by playwright-core, which downloads nothing. `npm test` and
 * `npm run test:e2e` run this first (their `pre` scripts), and so does .ci/run.
 *
 * - The browser is there: nothing happens, nothing is printed.
 * - /usr/bin/chromium is missing, we are root and apt-get is on PATH: installs Debian's `chromium`
 *   package (apt-get update, then a noninteractive install, quiet; apt's errors still show).
 * - Otherwise (not root, no apt-get, a CHROMIUM_PATH with nothing there), or if the install fails:
 *   says exactly what to do, and exits 1.
 *
 *   node scripts/ensure-chromium.mjs             # check, install if needed
 *   node scripts/ensure-chromium.mjs --dry-run   # say what it would do, change nothing
 *
 * No browser comes from anywhere but Debian's packages.
 */
import { aptInstall, executable, onPath } from "./apt.mjs";

const DEBIAN_CHROMIUM = "/usr/bin/chromium";
const browser = process.env.CHROMIUM_PATH || DEBIAN_CHROMIUM;
const dryRun = process.argv.includes("--dry-run");

/** Prints what to do instead and exits 1. */
function explain(why) {
  const root = process.getuid?.() === 0;
  console.error(
    [
      `The browser tests need Chromium at ${browser}, and ${why}.`,
      "Either:",
      onPath("apt-get")
        ? `  ${root ? "" : "sudo "}apt-get update && ${root ? "" : "sudo "}apt-get install -y chromium   # Debian's package, at ${DEBIAN_CHROMIUM}`
        : `  install Chromium with your system's package manager (Debian: apt-get install -y chromium)`,
      "  or point CHROMIUM_PATH at a Chromium or Chrome binary: CHROMIUM_PATH=/path/to/chromium npm test",
      "then run the tests again.",
    ].join("\n"),
  );
  process.exit(1);
}

if (executable(browser)) process.exit(0);
if (browser !== DEBIAN_CHROMIUM) explain(`CHROMIUM_PATH names no executable (unset it to use Debian's chromium at ${DEBIAN_CHROMIUM})`);
if (process.getuid?.() !== 0) explain("it is missing (installing it needs root)");
if (!onPath("apt-get")) explain("it is missing (no apt-get on PATH to install Debian's chromium)");

console.log(`Chromium is missing at ${browser}: ${dryRun ? "would install" : "installing"} Debian's chromium package (for the browser tests).`);
aptInstall(["chromium"], { dryRun, fail: explain });
if (!dryRun && !executable(browser)) explain("the chromium package did not provide it");
