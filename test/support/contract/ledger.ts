import { groupViolations, type ContractMode, type ContractTally } from "./tally";
import type { ContractResult } from "./validator";
import { formatViolation, type Violation } from "./violation";

/** The answers of the running test file: counted, their violations kept (and thrown, in throw mode). */
class Ledger {
  mode: ContractMode = "throw";
  private answers = 0;
  private skipped = 0;
  private violations: Violation[] = [];

  /**
   * Keeps the violations of `result` and, in throw mode, throws them. `answer` counts it as an
   * answer (its head); the later check of the same answer's body does not count again.
   */
  record(result: ContractResult, answer = true): void {
    if (!result.validated) {
      if (answer) this.skipped++;
      return;
    }
    if (answer) this.answers++;
    this.violations.push(...result.violations);
    if (this.mode === "throw" && result.violations.length > 0) throw new ContractViolationError(result.violations);
  }

  /** The tally since the last take, and a fresh start. */
  take(): ContractTally {
    const tally = { answers: this.answers, skipped: this.skipped, violations: groupViolations(this.violations.map((v) => ({ ...v, count: 1 }))) };
    this.answers = this.skipped = 0;
    this.violations = [];
    return tally;
  }
}

export class ContractViolationError extends Error {
  constructor(readonly violations: Violation[]) {
    super(`the answer breaks openapi.yaml:\n${violations.map((v) => `  ${formatViolation(v)}`).join("\n")}`);
    this.name = "ContractViolationError";
  }
}

export const ledger = new Ledger();
