/**
 * Setup file of the worker and e2e projects: every test file reports the answers it had validated
 * to the reporter (its task meta), and fails when any broke the contract — even when a client's retry
 * or a test's catch swallowed the error thrown at the time, or the answer went through the e2e proxy.
 */
import { afterAll, inject } from "vitest";
import { ledger } from "./ledger";
import "./tally";
import { formatViolation } from "./violation";

ledger.mode = inject("contractMode") ?? "throw";

afterAll(({}, suite) => {
  const tally = ledger.take();
  suite.meta.contract = tally;
  if (ledger.mode === "throw" && tally.violations.length > 0) {
    throw new Error(`${tally.violations.length} kinds of answers break openapi.yaml:\n${tally.violations.map((v) => `  ${formatViolation(v)} (×${v.count})`).join("\n")}`);
  }
});
