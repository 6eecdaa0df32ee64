/** Calls about the service itself: liveness and the catalogue of rules (no token needed). */
import type { CallOptions, Context } from "./context.js";
import { getHealth, listRules } from "./generated/sdk.gen.js";
import type { Health, RuleCatalog } from "./generated/types.gen.js";
import { settle } from "./transport.js";

export interface ServiceCalls {
  health(options?: CallOptions): Promise<Health>;
  /** Update rules with their default hyperparameters, and schedule types. */
  rules(options?: CallOptions): Promise<RuleCatalog>;
}

export function serviceCalls({ client, run }: Context): ServiceCalls {
  return {
    health: (options) => run(options, true, async (signal) => (await settle(getHealth({ client, signal }))).data),
    rules: (options) => run(options, true, async (signal) => (await settle(listRules({ client, signal }))).data),
  };
}
