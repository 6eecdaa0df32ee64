/**
 * What the `ensure-*` scripts share: whether a command is on PATH, and Debian's packages installed
 * noninteractively (apt-get update, then install, quiet; apt's errors still show).
 */
import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export const executable = (path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

export const onPath = (command) => (process.env.PATH ?? "").split(delimiter).some((dir) => dir && executable(join(dir, command)));

/** Installs Debian's `packages` (or, with `dryRun`, prints the commands); a failed step is handed to `fail` with why. */
export function aptInstall(packages, { dryRun, fail }) {
  const steps = [
    ["apt-get", ["-qq", "update"]],
    ["apt-get", ["-qq", "install", "-y", ...packages]],
  ];
  for (const [command, args] of steps) {
    if (dryRun) {
      console.log(`  DEBIAN_FRONTEND=noninteractive ${command} ${args.join(" ")}`);
      continue;
    }
    try {
      // stdout (progress) discarded, stderr (apt's errors) shown.
      execFileSync(command, args, { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    } catch (e) {
      fail(`\`${command} ${args.join(" ")}\` failed (${e.status === null ? e.signal ?? e.message : `exit ${e.status}`})`);
    }
  }
}
