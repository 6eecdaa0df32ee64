import { describe, expect, it } from "vitest";
import { resolveShardConfig, scheduleSchemas, ShardConfigInput } from "../../src/config";
import { checkJsonDepth } from "../../src/edge/body";
import { MAX_JSON_DEPTH, MAX_SCHEDULE_DEPTH } from "../../src/limits";
import { HyperparameterError, resolveSchedule } from "../../src/optim";
import { RefusalError } from "../../src/problems";

/** A `sequence` schedule `levels` deep (built without recursion, so any depth). */
function nested(levels: number): Record<string, unknown> {
  let s: Record<string, unknown> = { type: "constant" };
  for (let i = 1; i < levels; i++) s = { type: "sequence", schedules: [s], milestones: [] };
  return s;
}

const depthMessage = new RegExp(`a schedule nests at most ${MAX_SCHEDULE_DEPTH} levels`);

describe("the depth of a schedule", () => {
  it("the resolver takes MAX_SCHEDULE_DEPTH levels and refuses one more, naming where", () => {
    expect(resolveSchedule(nested(MAX_SCHEDULE_DEPTH)).type).toBe("sequence");
    const deeper = () => resolveSchedule(nested(MAX_SCHEDULE_DEPTH + 1));
    expect(deeper).toThrow(HyperparameterError);
    expect(deeper).toThrow(new RegExp(`^schedule${".schedules\\[0\\]".repeat(MAX_SCHEDULE_DEPTH - 1)} \\(sequence\\): ${depthMessage.source}`));
  });

  it.each([850, 100_000])("refuses %i levels at once, in the resolver and in both schemas, without exhausting the stack", (levels) => {
    const schedule = nested(levels);
    expect(() => resolveSchedule(schedule)).toThrow(depthMessage);
    for (const schema of [scheduleSchemas.input, scheduleSchemas.resolved]) {
      const parsed = schema.safeParse(schedule);
      expect(parsed.success).toBe(false);
      expect(parsed.error!.issues.map((i) => i.message)).toContainEqual(expect.stringMatching(depthMessage));
    }
    const config = ShardConfigInput.safeParse({ length: 2, rule: "sgd", schedule });
    expect(config.error?.issues[0]).toMatchObject({ path: ["schedule"], message: expect.stringMatching(depthMessage) });
    expect(() => resolveShardConfig({ length: 2, rule: "sgd", schedule })).toThrow(RefusalError);
  });

  it("a plateau deep inside a sequence is still refused for itself", () => {
    const inner = { type: "sequence", schedules: [{ type: "plateau" }], milestones: [] };
    expect(() => resolveSchedule({ type: "sequence", schedules: [inner, { type: "constant" }], milestones: [5] })).toThrow(/plateau/);
  });
});

describe("the depth of a JSON body", () => {
  const refusalOf = (text: string) => {
    try {
      checkJsonDepth(text);
    } catch (e) {
      if (e instanceof RefusalError) return [e.code, e.detail, e.extensions];
      throw e;
    }
    return undefined;
  };

  it("takes MAX_JSON_DEPTH levels of arrays and objects, and refuses one more where it starts", () => {
    const deep = (n: number) => '{"a":'.repeat(n - 1) + "[]" + "}".repeat(n - 1);
    expect(JSON.parse(deep(MAX_JSON_DEPTH))).toBeDefined();
    expect(refusalOf(deep(MAX_JSON_DEPTH))).toBeUndefined();
    expect(refusalOf(deep(MAX_JSON_DEPTH + 1))).toEqual([
      "invalid-request",
      `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects (at character ${5 * MAX_JSON_DEPTH}); at most ${MAX_JSON_DEPTH} are accepted`,
      { limit: MAX_JSON_DEPTH },
    ]);
  });

  it("counts no bracket inside a string, escaped quotes included", () => {
    const text = JSON.stringify({ a: "[[[[".repeat(100), b: '\\"[{'.repeat(100), c: [[1]] });
    expect(refusalOf(text)).toBeUndefined();
    expect(refusalOf(JSON.stringify(["\\", "[".repeat(200)]))).toBeUndefined();
  });

  it("reads wide JSON and megabytes of brackets in one pass", () => {
    const wide = JSON.stringify(Array.from({ length: 100_000 }, (_, i) => ({ [`k${i}`]: [i] })));
    expect(refusalOf(wide)).toBeUndefined();
    const started = performance.now();
    expect(refusalOf("[".repeat(2 * 1024 * 1024))?.[0]).toBe("invalid-request");
    expect(refusalOf("[]".repeat(1024 * 1024))).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
