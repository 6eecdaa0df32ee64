#!/usr/bin/env node
/**
 * The reference of the state round trip with PyTorch (test/e2e/torch-state.e2e.test.ts): Debian's
 * python3-torch and python3-numpy under /usr/bin/python3. `npm test` and `npm run test:e2e` run
 * this first (their `pre` scripts), after ensure-chromium.mjs.
 *
 * - torch and numpy import: nothing happens, nothing is printed.
 * - Missing, we are root and apt-get is on PATH: installs the two Debian packages.
 * - Otherwise, or if the install fails: says exactly what to do, and exits 1.
 *
 *   node scripts/ensure-torch.mjs             # check, install if needed
 *   node scripts/ensure-torch.mjs --dry-run   # say what it would do, change nothing
 */
import { execFileSync } from "node:child_process";
import { aptInstall, onPath } from "./apt.mjs";

const PYTHON = "/usr/bin/python3";
const PACKAGES = ["python3-torch", "python3-numpy"];
const dryRun = process.argv.includes("--dry-run");

const present = () => {
  try {
    execFileSync(PYTHON, ["-c", "import torch, numpy"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

function explain(why) {
  const sudo = process.getuid?.() === 0 ? "" : "sudo ";
  console.error(`The PyTorch round trip needs torch and numpy under ${PYTHON}, and ${why}.\nInstall Debian's packages: ${sudo}apt-get update && ${sudo}apt-get install -y ${PACKAGES.join(" ")}\nthen run the tests again.`);
  process.exit(1);
}

if (present()) process.exit(0);
if (process.getuid?.() !== 0) explain("they are missing (installing them needs root)");
if (!onPath("apt-get")) explain("they are missing (no apt-get on PATH)");
console.log(`torch or numpy is missing under ${PYTHON}: ${dryRun ? "would install" : "installing"} ${PACKAGES.join(", ")} (for the PyTorch state round trip).`);
aptInstall(PACKAGES, { dryRun, fail: explain });
if (!dryRun && !present()) explain("the packages did not provide them");
