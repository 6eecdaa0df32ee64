import { Hono } from "hono";
import { getRule, ruleNames, scheduleTypes } from "../../optim";

/** The catalogue of update rules and schedules, with every hyperparameter's default. */
export const catalog = new Hono()
  .get("/v1/rules", (c) =>
    c.json({
      rules: ruleNames.map((name) => {
        const rule = getRule(name);
        return { name, reference: rule.reference, defaults: rule.resolve({}) };
      }),
      schedules: scheduleTypes,
    }),
  );
