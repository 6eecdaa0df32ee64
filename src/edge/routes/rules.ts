import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { refusing } from "./refusals";
import { referenceOf, ruleDefaults, scheduleTypes, shardRuleNames } from "../../optim";
import type { EdgeEnv } from "../types";
import {} from "./common";

const RuleCatalog = z
  .object({
    rules: z.array(
      z.object({
        name: z.enum(shardRuleNames as [string, ...string[]]),
        reference: z.string().openapi({ description: "What the rule's formulas and defaults follow." }),
        defaults: z.record(z.string(), z.unknown()).openapi({ description: "Every hyperparameter with its default, under PyTorch's names." }),
      }),
    ),
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
      rules: shardRuleNames.map((name) => ({ name, reference: referenceOf(name), defaults: structuredClone(ruleDefaults(name)) as Record<string, never> })),
      schedules: scheduleTypes,
    },
    200,
  ),
);
