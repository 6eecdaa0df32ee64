import type { Context } from "hono";
import type { EdgeEnv } from "./types";

/** The one catalog object of the deployment. */
export function catalogStub(c: Context<EdgeEnv>) {
  return c.env.CATALOG.get(c.env.CATALOG.idFromName("catalog"));
}
