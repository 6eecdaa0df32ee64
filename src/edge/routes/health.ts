import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { EdgeEnv } from "../types";
import { problems } from "./common";

const Health = z.object({ status: z.literal("ok"), service: z.literal("shardstep") }).openapi("Health");

const getHealth = createRoute({
  method: "get",
  path: "/health",
  tags: ["service"],
  operationId: "getHealth",
  summary: "Liveness check.",
  security: [],
  responses: { 200: { description: "The service is up.", content: { "application/json": { schema: Health } } }, ...problems("4XX") },
});

export const health = new OpenAPIHono<EdgeEnv>().openapi(getHealth, (c) => c.json({ status: "ok" as const, service: "shardstep" as const }, 200));
