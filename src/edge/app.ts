import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { bearerAuth } from "./auth/middleware";
import { notFound, ProblemError, problemResponse } from "./problem";
import { benchFloor } from "./routes/bench-floor";
import { checkpoints } from "./routes/checkpoints";
import { gradients } from "./routes/gradients";
import { health } from "./routes/health";
import { metrics } from "./routes/metrics";
import { catalog } from "./routes/rules";
import { shards } from "./routes/shards";
import { status } from "./routes/status";
import { modelCheckpoints } from "./routes/model-checkpoints";
import { models } from "./routes/models";
import { weights } from "./routes/weights";
import type { EdgeEnv } from "./types";

export const API_INFO = {
  openapi: "3.1.0",
  info: {
    title: "shardstep",
    version: "0.1.0",
    summary: "The optimizer on the server for federated and browser training.",
    description:
      "Clients push gradient chunks for named parameter shards; the server applies the shard's update rule (PyTorch-exact) and answers " +
      "with the updated weights. Float32 vectors travel as raw little-endian bytes (application/octet-stream); JSON arrays are for small " +
      "payloads. Errors are RFC 9457 problem details (application/problem+json) with a stable `type` per cause.",
    license: { name: "MIT", identifier: "MIT" },
  },
  servers: [{ url: "http://127.0.0.1:8787", description: "Local development (npm start)" }],
  tags: [
    { name: "service", description: "Health and the catalogue of rules and schedules." },
    { name: "shards", description: "Create, inspect, change and delete shards." },
    { name: "weights", description: "Weights and their running averages (the ensemble endpoint)." },
    { name: "gradients", description: "The hot path: push gradients, report metrics." },
    { name: "models", description: "Whole models: tensors laid out on shards, safetensors in and out, fanned out in parallel." },
  ],
  security: [{ bearer: [] }],
} as const;

function validationProblem(issues: readonly { path: PropertyKey[]; message: string }[], target: string): ProblemError {
  const described = issues.map((i) => `${i.path.length ? i.path.join(".") : target}: ${i.message}`);
  return new ProblemError(400, "invalid-request", "Invalid Request", `invalid ${target}: ${described.join("; ")}`, { errors: described });
}

export function createApp() {
  const app = new OpenAPIHono<EdgeEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationProblem(result.error.issues, result.target);
    },
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "A token `ss1.<claims>.<signature>` with scopes (read, train, admin) bound to a name prefix; see docs/auth.md.",
  });
  for (const path of ["/v1/shards", "/v1/shards/*", "/v1/models", "/v1/models/*"]) app.use(path, bearerAuth());
  for (const routes of [health, catalog, shards, weights, gradients, metrics, status, models, checkpoints, modelCheckpoints]) app.route("/", routes);
  // The floor of bench/e2e.ts: its own app, reached only when the Worker var BENCH_FLOOR is "on" (otherwise
  // /bench/* is the 404 of an unknown route). Not one of this app's routes, so not in openapi.yaml.
  app.use("/bench/*", async (c, next) => (c.env.BENCH_FLOOR === "on" ? benchFloor.fetch(c.req.raw, c.env, c.executionCtx) : next()));
  app.notFound((c) => problemResponse(c, notFound(`no route for ${c.req.method} ${new URL(c.req.url).pathname}`)));
  app.onError((err, c) => {
    if (err instanceof ProblemError) return problemResponse(c, err);
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode;
      const slug = status === 415 ? "unsupported-media-type" : "http-error";
      return problemResponse(c, new ProblemError(status, slug, err.message || "Error", err.message || `HTTP ${status}`));
    }
    console.error(err);
    return problemResponse(c, new ProblemError(500, "internal", "Internal Server Error", "the server failed to handle the request"));
  });
  return app;
}

/** The OpenAPI 3.1 document of the app: what `npm run spec` writes to openapi.yaml. */
export function openApiDocument() {
  return createApp().getOpenAPI31Document(API_INFO as never);
}
