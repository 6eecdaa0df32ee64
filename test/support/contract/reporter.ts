/**
 * Sums what every test file validated (file-tally.ts puts it in the file's meta) and prints one
 * line at the end of the run:
 *
 *   contract: 12345 answers validated against openapi.yaml (worker 11000, e2e 1345), 0 violations
 *
 * With CONTRACT_REPORT=<file>, also writes the violations grouped (operation, status, kind,
 * detail, count) to that file as Markdown.
 */
import { writeFileSync } from "node:fs";
import type { Reporter, TestModule } from "vitest/node";
import { groupViolations, type GroupedViolation } from "./tally";

export default class ContractReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const answers = new Map<string, number>();
    const skipped = new Map<string, number>();
    const found: GroupedViolation[] = [];
    for (const module of testModules) {
      const tally = module.meta().contract;
      if (!tally) continue;
      const project = module.project.name;
      answers.set(project, (answers.get(project) ?? 0) + tally.answers);
      skipped.set(project, (skipped.get(project) ?? 0) + tally.skipped);
      found.push(...tally.violations);
    }
    if (answers.size === 0) return;
    const total = [...answers.values()].reduce((a, b) => a + b, 0);
    const perProject = [...answers].map(([p, n]) => `${p} ${n}`).join(", ");
    const violations = groupViolations(found);
    const occurrences = violations.reduce((a, v) => a + v.count, 0);
    const unchecked = [...skipped.values()].reduce((a, b) => a + b, 0);
    console.log(
      `contract: ${total} answers validated against openapi.yaml (${perProject}), ${occurrences} violations` +
        (violations.length ? ` of ${violations.length} kind${violations.length === 1 ? "" : "s"}` : "") +
        (unchecked ? `; ${unchecked} answers outside the API (pages, assets) not checked` : ""),
    );
    const file = process.env.CONTRACT_REPORT;
    if (file) writeFileSync(file, markdown(total, perProject, violations));
  }
}

function markdown(total: number, perProject: string, violations: GroupedViolation[]): string {
  const rows = [...violations].sort((a, b) => a.operation.localeCompare(b.operation) || a.status - b.status || a.kind.localeCompare(b.kind) || b.count - a.count);
  const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");
  return [
    `# Answers that break openapi.yaml`,
    "",
    `${total} answers validated (${perProject}); ${violations.length} distinct violations, ${violations.reduce((a, v) => a + v.count, 0)} occurrences.`,
    "",
    "| operation | status | kind | detail | count |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map((v) => `| ${cell(v.operation)} | ${v.status} | ${v.kind} | ${cell(v.detail)} | ${v.count} |`),
    "",
  ].join("\n");
}
