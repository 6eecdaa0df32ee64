import type { Hyper } from "../hyper";
import type { Rule } from "../rule";
import { adadelta } from "./adadelta";
import { adafactor } from "./adafactor";
import { adagrad } from "./adagrad";
import { adam, adamw } from "./adam";
import { adamax } from "./adamax";
import { asgd } from "./asgd";
import { lion } from "./lion";
import { nadam } from "./nadam";
import { normalized } from "./normalized";
import { radam } from "./radam";
import { rmsprop } from "./rmsprop";
import { rprop } from "./rprop";
import { sgd } from "./sgd";
import { yogi } from "./yogi";

export const rules = { sgd, adagrad, rmsprop, adadelta, adam, adamw, adamax, nadam, radam, yogi, rprop, asgd, lion, normalized, adafactor } as const;

export type RuleName = keyof typeof rules;

export const ruleNames = Object.keys(rules) as RuleName[];

export function isRuleName(name: string): name is RuleName {
  return Object.hasOwn(rules, name);
}

export function getRule(name: RuleName): Rule<Hyper> {
  return rules[name] as unknown as Rule<Hyper>;
}
