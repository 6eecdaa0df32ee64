/// <reference types="node" />
// What changed in the contract since a git revision (npm run spec:diff -- <rev>): operations, their
// statuses and the headers of each status, added and removed, from openapi.yaml at <rev> and now.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parse } from "yaml";

type Spec = { paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, { headers?: Record<string, unknown> }> }>> };

/** Every operation, `operation status`, and `operation status header` of a spec, as strings. */
function facts(spec: Spec): { operations: Set<string>; statuses: Set<string>; headers: Set<string> } {
  const operations = new Set<string>(), statuses = new Set<string>(), headers = new Set<string>();
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const name = op.operationId ?? `${method} ${path}`;
      operations.add(name);
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        statuses.add(`${name} ${status}`);
        for (const header of Object.keys(response.headers ?? {})) headers.add(`${name} ${status} ${header}`);
      }
    }
  }
  return { operations, statuses, headers };
}

const minus = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x)).sort();

const rev = process.argv[2];
if (!rev) {
  console.error("usage: npm run spec:diff -- <git revision>");
  process.exit(2);
}
const before = facts(parse(execFileSync("git", ["show", `${rev}:openapi.yaml`], { encoding: "utf8", maxBuffer: 1 << 28 })) as Spec);
const after = facts(parse(readFileSync(new URL("../openapi.yaml", import.meta.url), "utf8")) as Spec);
const verbose = process.argv.includes("--list");
for (const kind of ["operations", "statuses", "headers"] as const) {
  const added = minus(after[kind], before[kind]), removed = minus(before[kind], after[kind]);
  console.log(`${kind}: ${before[kind].size} → ${after[kind].size} (+${added.length}, -${removed.length})`);
  if (verbose) for (const line of [...added.map((x) => `  + ${x}`), ...removed.map((x) => `  - ${x}`)]) console.log(line);
}
// Per status and per header: how many operations gained or lost it.
const tally = (items: string[], at: number) => Object.entries(items.reduce<Record<string, number>>((t, x) => ((t[x.split(" ")[at]!] = (t[x.split(" ")[at]!] ?? 0) + 1), t), {})).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n}`).join(", ");
console.log(`statuses added by status: ${tally(minus(after.statuses, before.statuses), 1)}`);
console.log(`statuses removed by status: ${tally(minus(before.statuses, after.statuses), 1)}`);
console.log(`headers added by header: ${tally(minus(after.headers, before.headers), 2)}`);
console.log(`headers removed by header: ${tally(minus(before.headers, after.headers), 2)}`);
