import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { refusing } from "./refusals";
import { resolvedHyperSchemas } from "../../config";
import { referenceOf, ruleDefaults, scheduleTypes, shardRuleNames, type ShardRuleName } from "../../optim";
import type { EdgeEnv } from "../types";

/** A rule in the catalogue: its name, what it follows, and every hyperparameter's default (its resolved hyperparameters, src/config). */
const RuleEntry = (name: ShardRuleName) =>
  z.object({
    name: z.literal(name),
    reference: z.string().openapi({ description: "What the rule's formulas and defaults follow." }),
    defaults: resolvedHyperSchemas.get(name)!.meta({ description: "Every hyperparameter with its default, under PyTorch's names." }),
  });

const RuleCatalog = z
  .object({
    rules: z.array(z.discriminatedUnion("name", shardRuleNames.map(RuleEntry) as [ReturnType<typeof RuleEntry>, ...ReturnType<typeof RuleEntry>[]])),
    schedules: z.array(z.enum(scheduleTypes as [string, ...string[]])),
  })
  .openapi("RuleCatalog");

const listRules = refusing(
  createRoute({
    method: "get",
    path: "/v1/rules",
    tags: ["service"],
    operationId: "listRules",
    summary: "Update rules with their default hyperparameters, and schedule types.",
    security: [],
    responses: { 200: { description: "The catalogue.", content: { "application/json": { schema: RuleCatalog } } } },
  }),
  [],
);

/** The catalogue of update rules and schedules, with every hyperparameter's default. */
export const ruleCatalogue = new OpenAPIHono<EdgeEnv>().openapi(listRules, (c) =>
  c.json(
    {
      rules: shardRuleNames.map((name) => ({ name, reference: referenceOf(name), defaults: structuredClone(ruleDefaults(name)) })),
      schedules: scheduleTypes,
    },
    200,
  ),
);
