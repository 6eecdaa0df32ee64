import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_GLOB_LENGTH, MAX_GLOB_WILDCARDS, MAX_MODEL_OVERRIDES, MAX_MODEL_TENSORS, MAX_TENSOR_NAME_LENGTH } from "../../src/limits";
import { globMatcher, globProblem } from "../../src/models/glob";
import { planModel, resolveManifest } from "../../src/models/manifest";
import { RefusalError } from "../../src/problems";
import { propertySeed } from "../support/seed";

const SEED = propertySeed("GLOB_SEED", 20_260_612);

/** What a glob means, as a regular expression: the reference, on inputs too small to backtrack for long. */
const reference = (pattern: string) =>
  new RegExp(`^${[...pattern].map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[\\^$.|+()[\]{}]/g, "\\$&"))).join("")}$`, "s");

const timed = <T>(run: () => T): [T, number] => {
  const started = performance.now();
  const value = run();
  return [value, performance.now() - started];
};

describe("globMatcher", () => {
  it.each([
    ["*.bias", "layer.bias", true],
    ["*.bias", "layer.biases", false],
    ["enc.?.w", "enc.1.w", true],
    ["enc.?.w", "enc.10.w", false],
    ["a+b", "a+b", true],
    ["a+b", "aab", false],
    ["*", "", true],
    ["**", "x", true],
    ["?*", "", false],
    ["a*b*c", "aXbYc", true],
    ["a*b*c", "acb", false],
    ["é?", "éa", true],
    ["*" + "x".repeat(40) + "*y", "x".repeat(40) + "zy", true],
    ["?".repeat(16) + "x".repeat(48), "q".repeat(16) + "x".repeat(48), true],
  ])("%s on %s is %s", (pattern, name, expected) => expect(globMatcher(pattern)(name)).toBe(expected));

  it("agrees with the regular expression it replaces, on every small pattern and name", () => {
    const chars = (alphabet: string, max: number) => fc.array(fc.constantFrom(...alphabet), { maxLength: max }).map((a) => a.join(""));
    fc.assert(
      fc.property(chars("ab.*?", 12), fc.array(chars("ab.", 14), { minLength: 1, maxLength: 8 }), (pattern, names) => {
        const match = globMatcher(pattern);
        for (const name of names) expect(match(name), `${pattern} on ${name}`).toBe(reference(pattern).test(name));
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it("matches patterns of up to 64 tokens, the two words' width, across the words' boundary", () => {
    for (let k = 1; k <= MAX_GLOB_LENGTH; k++) {
      const name = "ab".repeat(40).slice(0, k);
      expect(globMatcher(name)(name), `${k}`).toBe(true);
      expect(globMatcher(name.slice(0, -1) + "?")(name), `${k} with ?`).toBe(true);
      expect(globMatcher(name.slice(0, -1) + "*")(name + "zz"), `${k} with *`).toBe(true);
      expect(globMatcher(name)(name + "a"), `${k} longer`).toBe(false);
    }
  });
});

describe("adversarial globs", () => {
  const adversarial = [
    "******b",
    "*a*a*a*a*a*a*a*a*b",
    "?*?*?*?*?*?*?*?*b",
    "*" + "a".repeat(61) + "b*",
    "*" + "a?".repeat(14) + "ab*",
  ];

  it.each(adversarial)("%s against names of up to 256 characters: microseconds, not the minutes of a backtracking engine", (pattern) => {
    expect(globProblem(pattern)).toBeUndefined();
    const match = globMatcher(pattern);
    const [, ms] = timed(() => {
      for (let n = 90; n <= MAX_TENSOR_NAME_LENGTH; n++) expect(match("a".repeat(n))).toBe(false);
    });
    expect(ms, "167 matches within a generous 500 ms").toBeLessThan(500);
  });

  it("plans the costliest manifest (every tensor's name as long as can be, every override a bad pattern) within a generous 2 s", () => {
    const tensors = Array.from({ length: MAX_MODEL_TENSORS }, (_, i) => ({ name: "a".repeat(MAX_TENSOR_NAME_LENGTH - 6) + String(i).padStart(6, "0"), shape: [1] }));
    const overrides = Array.from({ length: MAX_MODEL_OVERRIDES }, (_, i) => ({ match: adversarial[i % adversarial.length]!, config: { rule: "adam" } }));
    const manifest = resolveManifest({ tensors, config: { rule: "sgd" }, overrides });
    const [plan, ms] = timed(() => planModel("m", manifest));
    expect(plan.layout.tensors.every((t) => t.config === 0)).toBe(true);
    expect(ms, `${MAX_MODEL_TENSORS} × ${MAX_MODEL_OVERRIDES} matches of ${MAX_TENSOR_NAME_LENGTH} characters`).toBeLessThan(2000);
  });
});

describe("the bounds of a glob", () => {
  it.each([
    ["", /is empty/],
    ["a".repeat(MAX_GLOB_LENGTH + 1), new RegExp(`has ${MAX_GLOB_LENGTH + 1} characters; at most ${MAX_GLOB_LENGTH}`)],
    ["*?".repeat(MAX_GLOB_WILDCARDS / 2) + "*", new RegExp(`has ${MAX_GLOB_WILDCARDS + 1} wildcards; at most ${MAX_GLOB_WILDCARDS}`)],
  ])("refuses %j", (pattern, message) => expect(globProblem(pattern)).toMatch(message));

  it("refuses a manifest with such a pattern, or with too many overrides, as invalid-manifest", () => {
    const manifest = (overrides: { match: string; config: Record<string, unknown> }[]) => () => resolveManifest({ tensors: [{ name: "w", shape: [1] }], config: {}, overrides });
    const refusal = (run: () => unknown) => {
      try {
        run();
      } catch (e) {
        return e instanceof RefusalError ? [e.code, e.detail] : e;
      }
      return undefined;
    };
    expect(refusal(manifest([{ match: "*.bias", config: {} }, { match: "x".repeat(65), config: {} }]))).toEqual([
      "invalid-manifest",
      "overrides[1].match has 65 characters; at most 64: a glob on tensor names ('*' any run, '?' one character)",
    ]);
    const many = Array.from({ length: MAX_MODEL_OVERRIDES + 1 }, () => ({ match: "*", config: {} }));
    expect(refusal(manifest(many))).toEqual(["invalid-manifest", `the manifest has ${MAX_MODEL_OVERRIDES + 1} overrides; at most ${MAX_MODEL_OVERRIDES}`]);
  });
});
