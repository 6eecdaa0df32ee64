import { OpenAPIHono } from "@hono/zod-openapi";
import { MODEL_SHARD_CONFIG, ModelShardConfigInput } from "../config";
import { RefusalError } from "../problems";
import { bearerAuth } from "./auth/middleware";
import { withDescribedDefaults } from "./described-defaults";
import { knownRoute } from "./known-route";
import { errorResponse, problemResponse } from "./problem";
import { checkpoints } from "./routes/checkpoints";
import { AUTHENTICATED_PREFIXES } from "./routes/refusals";
import { gradients } from "./routes/gradients";
import { health } from "./routes/health";
import { live } from "./routes/live";
import { modelLive } from "./routes/model-live";
import { shardNameOf } from "../names";
import { ticketAuth } from "./auth/ticket-auth";
import { metrics } from "./routes/metrics";
import { ruleCatalogue } from "./routes/rules";
import { shards } from "./routes/shards";
import { state } from "./routes/state";
import { status } from "./routes/status";
import { sweeps } from "./routes/sweeps";
import { modelCheckpoints } from "./routes/model-checkpoints";
import { modelState } from "./routes/model-state";
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
    { name: "sweeps", description: "Hyperparameter search: a master hands trials to workers, prunes them, warns at range boundaries, plots them and serves ensembles." },
  ],
  security: [{ bearer: [] }],
} as const;

function validationProblem(issues: readonly { path: PropertyKey[]; message: string }[], target: string): RefusalError {
  // A JSON body that fails its schema is valid JSON: say which part was refused, not "invalid json".
  const [part, refusal] = target === "json" ? ["body", "the body does not match the schema"] : [target, `invalid ${target}`];
  const described = issues.map((i) => `${i.path.length ? i.path.join(".") : part}: ${i.message}`);
  return new RefusalError("invalid-request", `${refusal}: ${described.join("; ")}`, { errors: described });
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
    description: "A token `ss1.<claims>.<signature>` with scopes (read, train, relay, admin) bound to a name prefix; see docs/auth.md.",
  });
  // Referenced by the model manifest's configurations, which the manifest's own checks validate (src/config/manifest.ts).
  app.openAPIRegistry.register(MODEL_SHARD_CONFIG, ModelShardConfigInput);
  // Unknown routes first: they answer 404/405 with or without a token.
  app.use("/v1/*", knownRoute(app));
  // A live session opened with a ticket: it stands for the token (bearerAuth then checks nothing more).
  app.use("/v1/shards/:shard/live", ticketAuth((param) => param("shard") ?? ""));
  app.use("/v1/models/:model/live/:index", ticketAuth((param) => shardNameOf(param("model") ?? "", Number(param("index")))));
  for (const prefix of AUTHENTICATED_PREFIXES) for (const path of [prefix, `${prefix}/*`]) app.use(path, bearerAuth());
  for (const routes of [health, ruleCatalogue, shards, weights, gradients, live, modelLive, metrics, status, state, models, modelState, checkpoints, modelCheckpoints, sweeps]) app.route("/", routes);
  app.notFound((c) => problemResponse(c, { code: "not-found", detail: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` }));
  app.onError(errorResponse);
  return app;
}

/** The OpenAPI 3.1 document of the app: what `npm run spec` writes to openapi.yaml. */
export function openApiDocument() {
  return withDescribedDefaults(createApp().getOpenAPI31Document(API_INFO as never));
}
