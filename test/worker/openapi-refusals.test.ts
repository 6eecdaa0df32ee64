import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import specText from "../../openapi.yaml?raw";
import { PROBLEMS, problemSpec, type ProblemCode } from "../../src/problems";

/** The problem answers of openapi.yaml: every status an operation may refuse with, from the problem table. */
interface ProblemAnswer {
  headers?: Record<string, { schema: { type: string } }>;
  content: { "application/problem+json": { schema: { allOf: [unknown, { properties: { type: { enum: string[] }; status: { enum: number[] } } }] } } };
}
interface Operation {
  operationId: string;
  parameters?: unknown[];
  security?: unknown[];
  responses: Record<string, ProblemAnswer>;
}

const spec = parse(specText) as { paths: Record<string, Record<string, Operation>> };
const operations = Object.entries(spec.paths).flatMap(([path, ops]) => Object.values(ops).map((op) => ({ path, ...op })));
const byId = new Map(operations.map((op) => [op.operationId, op]));
const codes = Object.keys(PROBLEMS) as ProblemCode[];

const refusalStatuses = (op: Operation) => Object.keys(op.responses).map(Number).filter((s) => s >= 400);
const typesOf = (op: Operation, status: number): string[] => op.responses[status]?.content["application/problem+json"].schema.allOf[1].properties.type.enum ?? [];
const typeOf = (code: ProblemCode) => `/problems/${problemSpec(code).type}`;
const authenticated = (path: string) => /^\/v1\/(shards|models|sweeps)(\/|$)/.test(path);

describe("openapi.yaml's refusals", () => {
  it("declare, per status, only problem types the table answers with that status, and the status itself", () => {
    for (const op of operations) {
      for (const status of refusalStatuses(op)) {
        const allowed = codes.filter((c) => PROBLEMS[c].status === status).map(typeOf);
        expect(typesOf(op, status).length, `${op.operationId} ${status}`).toBeGreaterThan(0);
        for (const type of typesOf(op, status)) expect(allowed, `${op.operationId} ${status} ${type}`).toContain(type);
        expect(op.responses[status]!.content["application/problem+json"].schema.allOf[1].properties.status.enum).toEqual([status]);
      }
    }
  });

  it("declare 500 everywhere; the token's refusals, with WWW-Authenticate, on every authenticated operation; invalid-request wherever there are parameters", () => {
    expect(operations.length).toBeGreaterThan(30);
    for (const op of operations) {
      expect(typesOf(op, 500), op.operationId).toEqual([typeOf("internal")]);
      if (authenticated(op.path)) {
        expect(typesOf(op, 401), op.operationId).toEqual([typeOf("unauthorized")]);
        expect(typesOf(op, 403), op.operationId).toContain(typeOf("forbidden"));
        expect(typesOf(op, 503).sort(), op.operationId).toEqual([typeOf("auth-not-configured"), typeOf("dev-secret-in-production")].sort());
        expect(op.responses[401]!.headers?.["WWW-Authenticate"]?.schema.type, op.operationId).toBe("string");
        expect(op.responses[403]!.headers?.["WWW-Authenticate"]?.schema.type, op.operationId).toBe("string");
      } else {
        expect(refusalStatuses(op).filter((s) => s === 401 || s === 403), op.operationId).toEqual([]);
      }
      if (op.parameters?.length) expect(typesOf(op, 400), op.operationId).toContain(typeOf("invalid-request"));
    }
  });

  it("declare what the outside audit found answered but undeclared", () => {
    for (const id of ["getShard", "deleteShard", "getShardHistory", "listShards", "listModels", "getModel", "getModelWeights", "getModelCheckpointWeights", "restoreModelCheckpoint", "deleteModelCheckpoint", "getModelAverage", "listModelCheckpoints", "deleteModel"]) {
      expect(typesOf(byId.get(id)!, 400), id).toContain(typeOf("invalid-request"));
    }
    const checkpoint = byId.get("createModelCheckpoint")!;
    expect(typesOf(checkpoint, 413)).toContain(typeOf("body-too-large"));
    expect(typesOf(checkpoint, 415)).toContain(typeOf("unsupported-media-type"));
    expect(typesOf(byId.get("restoreModelCheckpoint")!, 409)).toContain(typeOf("round-open"));
    for (const id of ["pushGradient", "pushModelGradient"]) {
      expect(typesOf(byId.get(id)!, 429), id).toEqual([typeOf("rate-limited")]);
      expect(byId.get(id)!.responses[429]!.headers?.["Retry-After"]?.schema.type, id).toBe("integer");
    }
  });
});
