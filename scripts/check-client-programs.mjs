#!/usr/bin/env node
// The generated-client programs (test/e2e/clients/, their generated code aside) hold no type
// escape: no `as` (casts, `as const` included), no `any`, no non-null assertion, no @ts-ignore or
// @ts-expect-error, in code or comments. Lists every occurrence and exits 1 when there is one.
//
//   node scripts/check-client-programs.mjs [directory]    (default test/e2e/clients)
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const FORBIDDEN = [
  { name: "`as`", pattern: / as / },
  { name: "`any`", pattern: /\bany\b/ },
  { name: "a non-null assertion", pattern: /[\w)\]]!(?=[.;,)\]\s[])/ },
  { name: "@ts-ignore", pattern: /ts-ignore/ },
  { name: "@ts-expect-error", pattern: /ts-expect-error/ },
];

/** The TypeScript sources under `dir`, generated directories left out. */
function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "generated" || entry.name.includes(".tmp-") ? [] : sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = process.argv[2] ?? join(root, "test/e2e/clients");
const files = sources(dir);
const found = [];
for (const file of files) {
  readFileSync(file, "utf8")
    .split("\n")
    .forEach((line, index) => {
      for (const { name, pattern } of FORBIDDEN) if (pattern.test(line)) found.push(`${relative(process.cwd(), file)}:${index + 1}: ${name}: ${line.trim()}`);
    });
}
if (files.length === 0) {
  console.error(`check-client-programs: no TypeScript sources under ${dir}`);
  process.exitCode = 1;
} else if (found.length > 0) {
  console.error(`check-client-programs: ${found.length} type escapes in ${files.length} files:\n${found.join("\n")}`);
  process.exitCode = 1;
} else {
  console.log(`check-client-programs: ${files.length} files, no casts, no any, no non-null assertions, no ts-ignore/ts-expect-error`);
}
