import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NEEDS_OWN_RUNTIME, SHARED_RUNTIME_FILES } from "../support/shared-runtime";
import { root } from "../support/wrangler";

describe("the workerd test files that share a runtime", () => {
  it("exist, and none evicts or aborts every object, opens a socket or measures the isolate", () => {
    const present = new Set(readdirSync(join(root, "test/worker")).map((f) => `test/worker/${f}`));
    for (const file of SHARED_RUNTIME_FILES) {
      expect(present.has(file), `${file} is listed in test/support/shared-runtime.ts but does not exist`).toBe(true);
      expect(NEEDS_OWN_RUNTIME.exec(readFileSync(join(root, file), "utf8"))?.[0], `${file} needs a runtime of its own: move it out of SHARED_RUNTIME_FILES`).toBeUndefined();
    }
  });
});
