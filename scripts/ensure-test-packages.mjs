#!/usr/bin/env node
/**
 * What the tests need from the system, from Debian's packages only: Chromium for the browser tests
 * (test/e2e/support/chromium.ts: CHROMIUM_PATH, else /usr/bin/chromium, driven by playwright-core,
 * which downloads nothing) and python3 with torch and numpy for the tests that compare with PyTorch
 * in a live run (the golden files themselves are committed), with pytest, pip, setuptools and wheel
 * for the Python client's tests (clients/python). `npm test` and `npm run test:e2e` run
 * this first (their `pre` scripts), and so does .ci/run; so do `npm run bench:e2e` (its peer, (f),
 * runs torch) and `npm run bench:python`.
 *
 * - Everything is there: nothing happens, nothing is printed.
 * - Something is missing, we are root and apt-get is on PATH: installs the missing Debian packages
 *   (apt-get update, then one noninteractive install, quiet; apt's errors still show).
 * - Otherwise (not root, no apt-get, a CHROMIUM_PATH with nothing there), or if the install fails:
 *   says exactly what to do, and exits 1.
 *
 *   node scripts/ensure-test-packages.mjs             # check, install if needed
 *   node scripts/ensure-test-packages.mjs --dry-run   # say what it would do, change nothing
 */
import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

const DEBIAN_CHROMIUM = "/usr/bin/chromium";
const PYTHON = "/usr/bin/python3";
const browser = process.env.CHROMIUM_PATH || DEBIAN_CHROMIUM;
const dryRun = process.argv.includes("--dry-run");

const executable = (path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};
const onPath = (command) => (process.env.PATH ?? "").split(delimiter).some((dir) => dir && executable(join(dir, command)));
const pythonImports = (module) => executable(PYTHON) && spawnSync(PYTHON, ["-c", `import ${module}`], { stdio: "ignore" }).status === 0;

/** Each need: the Debian package that meets it, whether it is met, and what it is for. */
const needs = [
  { pkg: "chromium", met: () => executable(browser), what: `Chromium at ${browser} (the browser tests)` },
  { pkg: "python3-numpy", met: () => pythonImports("numpy"), what: `numpy for ${PYTHON}` },
  { pkg: "python3-torch", met: () => pythonImports("torch"), what: `PyTorch for ${PYTHON} (tests that run torch beside a shard)` },
  { pkg: "python3-pytest", met: () => pythonImports("pytest"), what: `pytest for ${PYTHON} (the Python client's tests)` },
  // The Python client's wheel is built offline with Debian's pip, setuptools and wheel (clients/python/tests/test_wheel.py).
  { pkg: "python3-pip", met: () => pythonImports("pip"), what: `pip for ${PYTHON} (the Python client's wheel)` },
  { pkg: "python3-setuptools", met: () => pythonImports("setuptools"), what: `setuptools for ${PYTHON} (the Python client's wheel)` },
  { pkg: "python3-wheel", met: () => pythonImports("wheel"), what: `wheel for ${PYTHON} (the Python client's wheel)` },
];

/** Prints what to do instead and exits 1. */
function explain(missing, why) {
  const root = process.getuid?.() === 0;
  const sudo = root ? "" : "sudo ";
  const pkgs = missing.map((n) => n.pkg).join(" ");
  console.error(
    [
      `The tests need ${missing.map((n) => n.what).join(", ")}, and ${why}.`,
      "Either:",
      onPath("apt-get")
        ? `  ${sudo}apt-get update && ${sudo}apt-get install -y ${pkgs}   # Debian's packages`
        : `  install ${pkgs} with your system's package manager (Debian: apt-get install -y ${pkgs})`,
      ...(missing.some((n) => n.pkg === "chromium") ? ["  or point CHROMIUM_PATH at a Chromium or Chrome binary: CHROMIUM_PATH=/path/to/chromium npm test"] : []),
      "then run the tests again.",
    ].join("\n"),
  );
  process.exit(1);
}

const missing = needs.filter((n) => !n.met());
if (missing.length === 0) process.exit(0);
if (browser !== DEBIAN_CHROMIUM && missing.some((n) => n.pkg === "chromium")) {
  explain(missing, `CHROMIUM_PATH names no executable (unset it to use Debian's chromium at ${DEBIAN_CHROMIUM})`);
}
if (process.getuid?.() !== 0) explain(missing, "they are missing (installing them needs root)");
if (!onPath("apt-get")) explain(missing, "they are missing (no apt-get on PATH to install Debian's packages)");

const pkgs = missing.map((n) => n.pkg);
// Another apt-get (a parallel install) holds dpkg's lock for a while: wait for it rather than fail.
const lock = ["-o", "DPkg::Lock::Timeout=600"];
const steps = [
  ["apt-get", ["-qq", ...lock, "update"]],
  ["apt-get", ["-qq", ...lock, "install", "-y", ...pkgs]],
];
console.log(`Missing for the tests: ${missing.map((n) => n.what).join(", ")}: ${dryRun ? "would install" : "installing"} Debian's ${pkgs.join(", ")}.`);
for (const [command, args] of steps) {
  if (dryRun) {
    console.log(`  DEBIAN_FRONTEND=noninteractive ${command} ${args.join(" ")}`);
    continue;
  }
  try {
    // stdout (progress) discarded, stderr (apt's errors) shown.
    execFileSync(command, args, { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  } catch (e) {
    explain(missing, `\`${command} ${args.join(" ")}\` failed (${e.status === null ? e.signal ?? e.message : `exit ${e.status}`})`);
  }
}
const still = dryRun ? [] : needs.filter((n) => !n.met());
if (still.length > 0) explain(still, "the packages did not provide them");
