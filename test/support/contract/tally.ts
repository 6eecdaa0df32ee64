import type { Violation } from "./violation";

/**
 * What the answers of one test file amounted to, sent to the reporter in the file's task meta.
 * `throw` (the default, what CI runs) fails on the first violation; `collect` (CONTRACT_MODE=collect,
 * for surveying a spec) records them and lets the tests go on.
 */
export type ContractMode = "throw" | "collect";

export interface GroupedViolation extends Violation {
  count: number;
}

export interface ContractTally {
  /** Answers checked against the document. */
  answers: number;
  /** Answers outside the API (web pages, assets) let through unchecked. */
  skipped: number;
  violations: GroupedViolation[];
}

/** The key equal violations share. */
export const violationKey = (v: Violation) => `${v.operation}\u0000${v.status}\u0000${v.kind}\u0000${v.detail}`;

/** Violations with equal keys summed into one. */
export function groupViolations(violations: Iterable<GroupedViolation>): GroupedViolation[] {
  const grouped = new Map<string, GroupedViolation>();
  for (const v of violations) {
    const key = violationKey(v);
    const known = grouped.get(key);
    if (known) known.count += v.count;
    else grouped.set(key, { ...v });
  }
  return [...grouped.values()];
}

declare module "vitest" {
  interface TaskMeta {
    contract?: ContractTally;
  }
  interface ProvidedContext {
    contractMode: ContractMode;
  }
}
