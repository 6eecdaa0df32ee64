import { describe, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import type { ShardConfig } from "../../src/config";
import * as responses from "../../src/edge/schemas/responses";
import type { Checkpoint, MetricResult, PushSummary, RoundReceipt, ShardInfo, ShardStatus } from "../../src/shard/types";

/**
 * Every answer's response schema (what openapi.yaml and the SDK promise) against the type the shard
 * actually returns. The assertions are types: `npm run typecheck` fails when they drift (a field the
 * shard sends that the schema lacks, or one the schema promises that the shard never sends).
 */
type Answer<S extends z.ZodType> = z.output<S>;
/** Each assignable to the other (readonly-ness aside, which JSON does not carry). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

describe("response schemas hold the shard's types", () => {
  it("ShardConfig is the configuration the shard keeps", () => {
    expectTypeOf<Same<Answer<typeof responses.ShardConfig>, ShardConfig>>().toEqualTypeOf<true>();
  });
  it("ShardInfo, ShardStatus, Checkpoint, MetricResult, RoundReceipt", () => {
    expectTypeOf<Same<Answer<typeof responses.ShardInfo>, ShardInfo>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof responses.ShardStatus>, ShardStatus>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof responses.Checkpoint>, Checkpoint>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof responses.MetricResult>, MetricResult>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof responses.RoundReceipt>, RoundReceipt>>().toEqualTypeOf<true>();
  });
  it("PushSummary is a push's outcome with whether it was a replay", () => {
    expectTypeOf<Same<Answer<typeof responses.PushSummary>, PushSummary & { replayed: boolean }>>().toEqualTypeOf<true>();
  });
});
