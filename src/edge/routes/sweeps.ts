import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { refusing } from "./refusals";
import { SweepConfigInput } from "../../config/sweep";
import { safetensorsHeader } from "../../formats/safetensors";
import { sweepClient } from "../../master/client";
import type { EnsembleMember } from "../../master/ensembles";
import { memberWeights } from "../../master/provision";
import { requireScope, scoped } from "../auth/middleware";
import { replayedResponseHeader, replayHeaders } from "../idempotency";
import { listingPrefix } from "./shards";
import { catalogClient } from "../../catalog/client";
import { MAX_MODEL_NAME_LENGTH } from "../../limits";
import { limitBody } from "../body";
import { ensureAcceptable, requireJsonBody } from "../floats";
import { presentLease, presentReport, presentSweep, presentTrial } from "../present";
import { SAFETENSORS } from "../safetensors-response";
import { enumHeader, integerHeader, stringHeader } from "../schemas/headers";
import { safetensors } from "../schemas/models";
import {
  AskBody,
  AskHeaders,
  CompleteBody,
  EnsembleQuery,
  Lease,
  PlotQuery,
  ReplicatesBody,
  ReportAnswer,
  ReportBody,
  Sweep,
  SweepParams,
  Trial,
  TrialDetail,
  TrialList,
  TrialParams,
} from "../schemas/sweeps";
import type { EdgeEnv } from "../types";
import { json } from "./common";

/** Sweeps (docs/sweeps.md): the resource, its workers' leases and reports, its views, plots and ensembles. */

const tags = ["sweeps"];
const svg = { "image/svg+xml": { schema: z.string().openapi({ description: "An SVG document." }) } };

const putSweep = refusing(
  createRoute({
    method: "put",
    path: "/v1/sweeps/{sweep}",
    tags,
    operationId: "putSweep",
    summary: "Create a sweep (idempotent): a search space, an objective, an algorithm, budgets, a pruner, a seed and the trials' template.",
    description: "A re-PUT of the same configuration is a no-op (200); another one is 409 (delete the sweep first).",
    middleware: [scoped("admin", "sweep"), requireJsonBody, limitBody("json")] as const,
    request: { params: SweepParams, body: { required: true, content: json(SweepConfigInput) } },
    responses: {
      200: { description: "The sweep exists with this configuration already.", content: json(Sweep) },
      201: { description: "Created.", content: json(Sweep) },
    },
  }),
  ["invalid-config", "sweep-conflict"],
);

const getSweep = refusing(
  createRoute({
    method: "get",
    path: "/v1/sweeps/{sweep}",
    tags,
    operationId: "getSweep",
    summary: "The sweep: its configuration, counts of trials by state, the best trial, boundary warnings and stages.",
    middleware: [scoped("read", "sweep")] as const,
    request: { params: SweepParams },
    responses: { 200: { description: "The sweep.", content: json(Sweep) } },
  }),
  ["not-found"],
);

const deleteSweep = refusing(
  createRoute({
    method: "delete",
    path: "/v1/sweeps/{sweep}",
    tags,
    operationId: "deleteSweep",
    summary: "Delete the sweep, its trials and their shards.",
    middleware: [scoped("admin", "sweep")] as const,
    request: { params: SweepParams },
    responses: { 204: { description: "Deleted." } },
  }),
  ["not-found", "partial-failure"],
);

const listTrials = refusing(
  createRoute({
    method: "get",
    path: "/v1/sweeps/{sweep}/trials",
    tags,
    operationId: "listTrials",
    summary: "The trials table: parameters, state, objective, metrics, budget, checkpoint, by id.",
    middleware: [scoped("read", "sweep")] as const,
    request: { params: SweepParams },
    responses: { 200: { description: "The trials.", content: json(TrialList) } },
  }),
  ["not-found"],
);

const askTrial = refusing(
  createRoute({
    method: "post",
    path: "/v1/sweeps/{sweep}/trials",
    tags,
    operationId: "askTrial",
    summary: "Lease a trial: its parameters, its shard, its budget and the lease's expiry; or wait, or done.",
    description:
      "A worker's loop: ask, train (pushing to the trial's shard), report at intervals, complete. Each report renews the lease; a lease that " +
      "expires sends the trial back to the queue, and the next worker resumes it from its last checkpoint. `status: wait` says when to ask again " +
      "(the parallel budget is full, or a coarse-to-fine stage waits for its previous stage); `status: done`: every trial has finished.",
    middleware: [scoped("train", "sweep"), limitBody("json")] as const,
    request: { params: SweepParams, headers: AskHeaders, body: { required: false, content: json(AskBody) } },
    responses: { 200: { description: "A lease, or wait, or done.", headers: { "Retry-After": integerHeader("With `status: wait`: seconds to wait before asking again (the body's `retry_after`)."), ...replayedResponseHeader }, content: json(Lease) } },
  }),
  ["not-found", "config-conflict", "round-open", "partial-failure"],
);

const getTrial = refusing(
  createRoute({
    method: "get",
    path: "/v1/sweeps/{sweep}/trials/{trial}",
    tags,
    operationId: "getTrial",
    summary: "One trial with its learning curve (every report's step, objective and metrics).",
    middleware: [scoped("read", "sweep")] as const,
    request: { params: TrialParams },
    responses: { 200: { description: "The trial.", content: json(TrialDetail) } },
  }),
  ["not-found"],
);

const reportTrial = refusing(
  createRoute({
    method: "post",
    path: "/v1/sweeps/{sweep}/trials/{trial}/reports",
    tags,
    operationId: "reportTrial",
    summary: "Report intermediate metrics at a step: the answer says continue or stop (pruned, or budget used).",
    description: "Renews the lease. `checkpoint: true` snapshots the trial's shard first. A report of a step already recorded answers the same decision.",
    middleware: [scoped("train", "sweep"), requireJsonBody, limitBody("json")] as const,
    request: { params: TrialParams, body: { required: true, content: json(ReportBody) } },
    responses: { 200: { description: "The decision.", content: json(ReportAnswer) } },
  }),
  ["not-found", "lease-lost", "report-out-of-order", "too-many-reports", "too-many-checkpoints", "partial-failure"],
);

const completeTrial = refusing(
  createRoute({
    method: "post",
    path: "/v1/sweeps/{sweep}/trials/{trial}/complete",
    tags,
    operationId: "completeTrial",
    summary: "End the trial with its final metrics (or `failed` with why). Idempotent under its lease.",
    middleware: [scoped("train", "sweep"), requireJsonBody, limitBody("json")] as const,
    request: { params: TrialParams, body: { required: true, content: json(CompleteBody) } },
    responses: { 200: { description: "The trial.", content: json(Trial) } },
  }),
  ["not-found", "lease-lost"],
);

const postReplicates = refusing(
  createRoute({
    method: "post",
    path: "/v1/sweeps/{sweep}/replicates",
    tags,
    operationId: "replicateTrial",
    summary: "Make sure a trial (default: the best) has `count` replicates: its parameters under other initialisation seeds, queued for workers.",
    description: "Declarative, so a retry creates nothing more. Replicates are not part of the search (the algorithms never see them).",
    middleware: [scoped("admin", "sweep"), requireJsonBody, limitBody("json")] as const,
    request: { params: SweepParams, body: { required: true, content: json(ReplicatesBody) } },
    responses: { 200: { description: "The replicates.", content: json(TrialList) } },
  }),
  ["not-found"],
);

const getEnsemble = refusing(
  createRoute({
    method: "get",
    path: "/v1/sweeps/{sweep}/ensemble",
    tags,
    operationId: "getSweepEnsemble",
    summary: "The members' weights in one safetensors file (`trial-<id>` for a shard's vector, `trial-<id>/<tensor>` for a model's tensors), best first in X-Ensemble-Members: average their predictions.",
    description: "`top=k`: the top k trials of the search. `replicates_of=<id>` (or neither: the best trial): the trial and its complete replicates.",
    middleware: [scoped("read", "sweep")] as const,
    request: { params: SweepParams, query: EnsembleQuery },
    responses: {
      200: {
        description: "The members' weights.",
        headers: { "X-Ensemble-Members": stringHeader("The members' tensor names, comma-separated, best first.") },
        content: safetensors,
      },
    },
  }),
  ["not-found", "partial-failure"],
);

const objectivePlot = refusing(
  createRoute({
    method: "get",
    path: "/v1/sweeps/{sweep}/plots/objective",
    tags,
    operationId: "getObjectivePlot",
    summary: "The objective against one parameter, as SVG (log axis for a log-scaled parameter).",
    middleware: [scoped("read", "sweep")] as const,
    request: { params: SweepParams, query: PlotQuery },
    responses: { 200: { description: "The plot.", headers: { "Cache-Control": enumHeader("The plot changes with every report: `no-store`.", ["no-store"]) }, content: svg } },
  }),
  ["not-found"],
);

const curvesPlot = refusing(
  createRoute({
    method: "get",
    path: "/v1/sweeps/{sweep}/plots/curves",
    tags,
    operationId: "getCurvesPlot",
    summary: "The learning curves of the trials, as SVG.",
    middleware: [scoped("read", "sweep")] as const,
    request: { params: SweepParams },
    responses: { 200: { description: "The plot.", headers: { "Cache-Control": enumHeader("The plot changes with every report: `no-store`.", ["no-store"]) }, content: svg } },
  }),
  ["not-found"],
);

const SweepList = z.object({ sweeps: z.array(z.object({ name: z.string(), created_at: z.string() })) }).openapi("SweepList");

const listSweeps = refusing(
  createRoute({
    method: "get",
    path: "/v1/sweeps",
    tags,
    operationId: "listSweeps",
    summary: "The sweeps the token can see (its name prefix), from the catalog; `prefix` narrows them.",
    request: { query: z.object({ prefix: z.string().max(MAX_MODEL_NAME_LENGTH).optional().openapi({ description: "Only names starting with this." }) }) },
    responses: { 200: { description: "The sweeps, by name.", content: json(SweepList) } },
  }),
  [],
);

const svgResponse = (body: string) => new Response(body, { status: 200, headers: { "content-type": "image/svg+xml; charset=utf-8", "cache-control": "no-store" } });

export const sweeps = new OpenAPIHono<EdgeEnv>()
  .openapi(listSweeps, async (c) => {
    const prefix = listingPrefix(requireScope(c, "read", c.var.principal.prefix).prefix, c.req.valid("query").prefix);
    return c.json({ sweeps: prefix === null ? [] : await catalogClient(c.env).sweeps(prefix) }, 200);
  })
  .openapi(putSweep, async (c) => {
    const { sweep } = c.req.valid("param");
    const result = await sweepClient(c.env, sweep).create(sweep, c.req.valid("json"));
    return c.json(presentSweep(result.sweep), result.created ? 201 : 200);
  })
  .openapi(getSweep, async (c) => c.json(presentSweep(await sweepClient(c.env, c.req.valid("param").sweep).info()), 200))
  .openapi(deleteSweep, async (c) => {
    await sweepClient(c.env, c.req.valid("param").sweep).destroy();
    return c.body(null, 204);
  })
  .openapi(listTrials, async (c) => c.json({ trials: (await sweepClient(c.env, c.req.valid("param").sweep).trials()).map(presentTrial) }, 200))
  .openapi(askTrial, async (c) => {
    const key = c.req.valid("header")["idempotency-key"];
    const body = (c.req.valid("json") as z.infer<typeof AskBody> | undefined) ?? {};
    const answer = await sweepClient(c.env, c.req.valid("param").sweep).ask({
      worker: body.worker,
      // Scoped to the caller: another token's key names another lease.
      idempotencyKey: key === undefined ? undefined : `${encodeURIComponent(c.var.principal.sub)}/${key}`,
    });
    if (answer.status === "wait") c.header("Retry-After", String(answer.retry_after));
    return c.json(presentLease(answer) as z.infer<typeof Lease>, 200, replayHeaders(answer.status === "leased" && answer.replayed));
  })
  .openapi(getTrial, async (c) => {
    const { sweep, trial } = c.req.valid("param");
    return c.json(presentTrial(await sweepClient(c.env, sweep).trial(trial)), 200);
  })
  .openapi(reportTrial, async (c) => {
    const { sweep, trial } = c.req.valid("param");
    return c.json(presentReport(await sweepClient(c.env, sweep).report({ trial, ...c.req.valid("json") })), 200);
  })
  .openapi(completeTrial, async (c) => {
    const { sweep, trial } = c.req.valid("param");
    return c.json(presentTrial(await sweepClient(c.env, sweep).complete({ trial, ...c.req.valid("json") })), 200);
  })
  .openapi(postReplicates, async (c) => {
    const { count, of } = c.req.valid("json");
    return c.json({ trials: (await sweepClient(c.env, c.req.valid("param").sweep).replicate(count, of)).map(presentTrial) }, 200);
  })
  .openapi(getEnsemble, async (c) => {
    const query = c.req.valid("query");
    ensureAcceptable(c, [SAFETENSORS]);
    const members = await sweepClient(c.env, c.req.valid("param").sweep).members(query.top !== undefined ? { top: query.top } : { replicates_of: query.replicates_of });
    return ensembleResponse(c.env, members);
  })
  .openapi(objectivePlot, async (c) => svgResponse(await sweepClient(c.env, c.req.valid("param").sweep).objectivePlot(c.req.valid("query").param)))
  .openapi(curvesPlot, async (c) => svgResponse(await sweepClient(c.env, c.req.valid("param").sweep).curvesPlot()));

/**
 * The members' weights as one safetensors file, streamed: the header (each member's tensors named
 * `trial-<id>`, or `trial-<id>/<tensor>` for a model, best first), then one member read at a time,
 * so the Worker holds one member's weights, never all of them.
 */
function ensembleResponse(env: Env, members: readonly EnsembleMember[]): Response {
  const names = members.map((m) => `trial-${m.trial}`);
  const layouts = members.flatMap((m, i) =>
    m.tensors.map((t) => ({ name: t.name === "" ? names[i]! : `${names[i]}/${t.name}`, dtype: "F32" as const, shape: t.shape, byteLength: 4 * t.shape.reduce((a, b) => a * b, 1) })),
  );
  const header = safetensorsHeader(layouts, { format: "pt", members: JSON.stringify(names), values: JSON.stringify(members.map((m) => m.value)) });
  let next = -1;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (next === -1) controller.enqueue(header);
      else if (next < members.length) for (const v of await memberWeights(env, members[next]!)) controller.enqueue(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      else controller.close();
      next++;
    },
  });
  const length = header.byteLength + layouts.reduce((n, l) => n + l.byteLength, 0);
  return new Response(body, { status: 200, headers: { "content-type": SAFETENSORS, "content-length": String(length), "x-ensemble-members": names.join(",") } });
}
