import { describe, expect, it } from "vitest";
import committed from "../../docs/errors.md?raw";
import { renderErrorsDoc } from "../../scripts/errors-doc-render";
import { openApiDocument } from "../../src/edge/app";
import { PROBLEMS } from "../../src/problems";

describe("docs/errors.md", () => {
  it("is what the problem table and the routes' refusals generate (run `npm run docs:errors` after changing either)", () => {
    expect(committed).toBe(renderErrorsDoc(openApiDocument()));
  });

  it("says, for every code, its cause and its fix", () => {
    for (const [code, spec] of Object.entries(PROBLEMS)) {
      expect(spec.cause.length, code).toBeGreaterThan(20);
      expect(spec.fix.length, code).toBeGreaterThan(10);
      expect(committed, code).toContain(`## ${code}\n`);
    }
  });
});
