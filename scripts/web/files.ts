/** File helpers of the web build: up-to-date checks and writes that never leave a half-written asset. */
import { renameSync, statSync, writeFileSync } from "node:fs";

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -Infinity;
  }
}

/** Whether `output` is missing or older than one of `inputs` (a missing input counts as changed). */
export function isStale(output: string, inputs: readonly string[]): boolean {
  const built = mtime(output);
  return inputs.some((input) => {
    const changed = mtime(input);
    return changed === -Infinity || changed > built;
  });
}

/**
 * Writes through a temporary file next to `path` and a rename: a server serving the folder
 * (wrangler dev watches it) sees the old file or the new one, never a part.
 */
export function writeAtomically(path: string, data: string | Uint8Array): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}
