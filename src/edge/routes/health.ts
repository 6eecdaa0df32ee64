import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { refusing } from "./refusals";
import type { EdgeEnv } from "../types";
import {} from "./common";

const Health = z.object({ status: z.literal("ok"), service: z.literal("shardstep") }).openapi("Health");

const getHealth = refusing(
  createRoute({
    method: "get",
    path: "/health",
    tags: ["service"],
    operationId: "getHealth",
    summary: "Liveness check.",
    security: [],
    responses: { 200: { description: "The service is up.", content: { "application/json": { schema: Health } } } },
  }),
  [],
);

export const health = new OpenAPIHono<EdgeEnv>().openapi(getHealth, (c) => c.json({ status: "ok" as const, service: "shardstep" as const }, 200));
