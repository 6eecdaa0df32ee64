import { describe, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import type { ShardConfig } from "../../src/config";
import type { presentCheckpoint, presentInfo, presentMetric, presentReceipt, presentStatus, presentSummary } from "../../src/edge/present";
import * as responses from "../../src/edge/schemas/responses";
import type { PushResult } from "../../src/shard/types";
import type { presentReport, presentSweep, presentTrial } from "../../src/edge/present";
import * as sweepSchemas from "../../src/edge/schemas/sweeps";
import type { ReportAnswer, SweepView, TrialView } from "../../src/master/types";

/**
 * Every answer's response schema (what openapi.yaml and the SDK promise) against the type of what
 * the shard returns as the edge presents it (src/edge/present.ts). The assertions are types:
 * `npm run typecheck` fails when they drift (a field the shard sends that the schema lacks, or one
 * the schema promises that the shard never sends).
 */
type Answer<S extends z.ZodType> = z.output<S>;
type Presented<F extends (...args: never[]) => unknown> = ReturnType<F>;
/** Each assignable to the other (readonly-ness aside, which JSON does not carry). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

describe("response schemas hold the shard's types", () => {
  it("ShardConfig is the configuration the shard keeps", () => {
    expectTypeOf<Same<Answer<typeof responses.ShardConfig>, ShardConfig>>().toEqualTypeOf<true>();
  });
  it("ShardInfo, ShardStatus, Checkpoint, MetricResult, RoundReceipt as presented", () => {
    expectTypeOf<Same<Answer<typeof responses.ShardInfo>, Presented<typeof presentInfo>>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof responses.ShardStatus>, Presented<typeof presentStatus>>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof responses.Checkpoint>, Presented<typeof presentCheckpoint>>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof responses.MetricResult>, Presented<typeof presentMetric>>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof responses.RoundReceipt>, Presented<typeof presentReceipt>>>().toEqualTypeOf<true>();
  });
  it("PushSummary is a push's outcome, without its weights, with whether it was a replay", () => {
    expectTypeOf<Same<Answer<typeof responses.PushSummary>, ReturnType<typeof presentSummary<PushResult>>>>().toEqualTypeOf<true>();
  });
  it("Trial, Sweep and TrialReportAnswer are the master's answers as presented", () => {
    expectTypeOf<Same<Answer<typeof sweepSchemas.Trial>, ReturnType<typeof presentTrial<TrialView>>>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof sweepSchemas.Sweep>, ReturnType<typeof presentSweep<SweepView>>>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof sweepSchemas.ReportAnswer>, ReturnType<typeof presentReport<TrialView, ReportAnswer>>>>().toEqualTypeOf<true>();
  });
});
