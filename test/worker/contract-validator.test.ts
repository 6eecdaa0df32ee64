/**
 * The response validator every worker and e2e test speaks through (test/support/contract) catches
 * what breaks the contract — an undeclared status, header, field or content type, a field of the
 * wrong type, a problem type outside its enum, a malformed binary body — and passes what keeps it.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/edge/app";
import type { OpenApiDocument } from "../support/contract/openapi";
import { ResponseValidator, type ContractResponse } from "../support/contract/validator";
import type { ViolationKind } from "../support/contract/violation";

const problem = { $ref: "#/components/schemas/Problem" };
const problemOf = (types: string[]) => ({ "application/problem+json": { schema: { allOf: [problem, { type: "object", properties: { type: { enum: types } } }] } } });

const SPEC: OpenApiDocument = {
  paths: {
    "/v1/things/{name}": {
      get: {
        operationId: "getThing",
        responses: {
          "200": {
            headers: { ETag: { required: true, schema: { type: "string" } }, "X-Count": { schema: { type: "integer" } } },
            content: { "application/json": { schema: { $ref: "#/components/schemas/Thing" } } },
          },
          "304": { headers: { ETag: { required: true, schema: { type: "string" } } } },
          "404": { content: problemOf(["/problems/not-found"]) },
        },
      },
    },
    "/v1/things/{name}/detail": {
      get: { operationId: "getThingDetail", responses: { "200": { content: { "application/json": { schema: { $ref: "#/components/schemas/ThingDetail" } } } } } },
    },
    "/v1/things/{name}/weights": {
      get: {
        operationId: "getThingWeights",
        responses: {
          "200": {
            content: {
              "application/octet-stream": { schema: { type: "string", contentMediaType: "application/octet-stream", description: "Raw little-endian float32 values." } },
            },
          },
        },
      },
    },
    "/v1/things/{name}/state": {
      get: {
        operationId: "getThingState",
        responses: { "200": { content: { "application/octet-stream": { schema: { type: "string", description: "A safetensors file: header length, JSON header, data." } } } } },
      },
    },
  },
  components: {
    schemas: {
      Problem: {
        type: "object",
        properties: { type: { type: "string" }, title: { type: "string" }, status: { type: "integer" }, detail: { type: "string" } },
        required: ["type", "title", "status", "detail"],
        additionalProperties: {},
      },
      Thing: {
        type: "object",
        properties: { name: { type: "string" }, size: { type: "integer" }, shape: { type: "object", properties: { rows: { type: "integer" } } } },
        required: ["name", "size"],
      },
      ThingDetail: { allOf: [{ $ref: "#/components/schemas/Thing" }, { type: "object", properties: { notes: { type: "string" } } }] },
    },
  },
};

const validator = new ResponseValidator(SPEC);
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function answer(status: number, headers: Record<string, string>, body: Uint8Array = new Uint8Array()): ContractResponse {
  return { status, headers: new Headers(headers), body };
}

const GOOD_THING = { name: "a", size: 3, shape: { rows: 1 } };
const okThing = (body: unknown = GOOD_THING, headers: Record<string, string> = {}) =>
  answer(200, { "content-type": "application/json; charset=UTF-8", etag: '"r1"', "x-count": "2", ...headers }, json(body));

/** The kinds of violation of `response` to GET `path`. */
const kinds = (response: ContractResponse, path = "/v1/things/a") =>
  validator.validate({ method: "GET", url: `http://localhost${path}` }, response).violations.map((v) => v.kind as ViolationKind);

const notFound = (type: string, extra: Record<string, unknown> = {}) =>
  answer(404, { "content-type": "application/problem+json" }, json({ type, title: "Not found", status: 404, detail: "no thing a", ...extra }));

describe("the response validator on a small spec", () => {
  it("passes answers that keep the contract: JSON, 304, problems with extension members, binary, composed schemas", () => {
    expect(kinds(okThing())).toEqual([]);
    expect(kinds(answer(304, { etag: '"r1"' }))).toEqual([]);
    expect(kinds(notFound("/problems/not-found", { name: "a" }))).toEqual([]);
    expect(kinds(answer(200, { "content-type": "application/octet-stream" }, new Uint8Array(new Float32Array([1, 2]).buffer)), "/v1/things/a/weights")).toEqual([]);
    expect(kinds(answer(200, { "content-type": "application/octet-stream" }, safetensors([1, 2, 3])), "/v1/things/a/state")).toEqual([]);
    expect(kinds(answer(200, { "content-type": "application/json" }, json({ ...GOOD_THING, notes: "composed" })), "/v1/things/a/detail")).toEqual([]);
    expect(kinds(answer(404, { "content-type": "application/problem+json" }, json({ type: "/problems/not-found", title: "t", status: 404, detail: "d" })), "/v1/nothing")).toEqual([]);
  });

  it("fails an undeclared status", () => {
    const { violations } = validator.validate({ method: "GET", url: "http://localhost/v1/things/a" }, answer(500, { "content-type": "application/problem+json" }, json({})));
    expect(violations).toEqual([{ operation: "GET /v1/things/{name} (getThing)", status: 500, kind: "undeclared-status", detail: "declared: 200, 304, 404" }]);
  });

  it("fails an undeclared header, and a declared header that is missing or not of its type", () => {
    expect(kinds(okThing(GOOD_THING, { "retry-after": "3" }))).toEqual(["undeclared-header"]);
    expect(kinds(okThing(GOOD_THING, { "x-trace": "1" }))).toEqual(["undeclared-header"]);
    expect(kinds(notFound("/problems/not-found")).length).toBe(0);
    expect(kinds({ ...notFound("/problems/not-found"), headers: new Headers({ "content-type": "application/problem+json", etag: '"x"' }) })).toEqual(["undeclared-header"]);
    expect(kinds(answer(304, {}))).toEqual(["missing-header"]);
    expect(kinds(okThing(GOOD_THING, { "x-count": "two" }))).toEqual(["header-value"]);
  });

  it("fails an undeclared field, at the top and nested, and in a composed schema", () => {
    expect(kinds(okThing({ ...GOOD_THING, secret: 1 }))).toEqual(["body-schema"]);
    expect(kinds(okThing({ ...GOOD_THING, shape: { rows: 1, cols: 2 } }))).toEqual(["body-schema"]);
    expect(kinds(answer(200, { "content-type": "application/json" }, json({ ...GOOD_THING, extra: true })), "/v1/things/a/detail")).toEqual(["body-schema"]);
    const [violation] = validator.validate({ method: "GET", url: "http://localhost/v1/things/a" }, okThing({ ...GOOD_THING, secret: 1 })).violations;
    expect(violation!.detail).toContain('"secret"');
  });

  it("fails a field of the wrong type and a missing required field", () => {
    expect(kinds(okThing({ ...GOOD_THING, size: "3" }))).toEqual(["body-schema"]);
    expect(kinds(okThing({ name: "a" }))).toEqual(["body-schema"]);
  });

  it("fails a content type not declared for the status, a missing one, a body where none is declared, and a body that is not JSON", () => {
    expect(kinds(answer(200, { "content-type": "text/plain", etag: '"r"' }, json(GOOD_THING)))).toEqual(["undeclared-content-type"]);
    expect(kinds(answer(404, { "content-type": "application/json" }, json({ type: "/problems/not-found", title: "t", status: 404, detail: "d" })))).toEqual(["undeclared-content-type"]);
    expect(kinds(answer(200, { etag: '"r"' }, json(GOOD_THING)))).toEqual(["missing-content-type"]);
    expect(kinds(answer(304, { etag: '"r"', "content-type": "application/json" }, json(GOOD_THING)))).toEqual(["unexpected-body"]);
    expect(kinds(answer(200, { "content-type": "application/json", etag: '"r"' }, new TextEncoder().encode("{nope")))).toEqual(["body-not-json"]);
  });

  it("fails a problem whose type is outside the declared enum", () => {
    expect(kinds(notFound("/problems/teapot"))).toEqual(["body-schema"]);
  });

  it("fails malformed binary bodies: a float32 vector of 6 bytes, a safetensors file whose tensor runs past the data", () => {
    expect(kinds(answer(200, { "content-type": "application/octet-stream" }, new Uint8Array(6)), "/v1/things/a/weights")).toEqual(["binary-body"]);
    expect(kinds(answer(200, { "content-type": "application/octet-stream" }, safetensors([1, 2, 3]).subarray(0, -4)), "/v1/things/a/state")).toEqual(["binary-body"]);
    expect(kinds(answer(200, { "content-type": "application/octet-stream" }, new Uint8Array(12)), "/v1/things/a/state")).toEqual(["binary-body"]);
  });

  it("fails an unknown route unless it is a 404 problem", () => {
    expect(kinds(answer(200, { "content-type": "application/json" }, json({})), "/v1/nothing")).toEqual(["unknown-route"]);
    expect(kinds(answer(404, { "content-type": "text/plain" }, new TextEncoder().encode("no")), "/v1/nothing")).toEqual(["unknown-route"]);
    const post = validator.validate({ method: "POST", url: "http://localhost/v1/things/a" }, answer(200, { "content-type": "application/json" }, json(GOOD_THING)));
    expect(post.violations.map((v) => v.kind)).toEqual(["unknown-route"]);
  });
});

describe("the response validator on openapi.yaml", () => {
  const real = new ResponseValidator(openApiDocument() as OpenApiDocument);

  it("passes the Worker's real /health answer, and fails it with an undeclared field, header or status", async () => {
    const res = await exports.default.fetch("http://localhost/health");
    const body = new Uint8Array(await res.arrayBuffer());
    const request = { method: "GET", url: "http://localhost/health" };
    expect(real.validate(request, { status: res.status, headers: res.headers, body }).violations).toEqual([]);
    const extra = json({ ...JSON.parse(new TextDecoder().decode(body)), uptime: 3 });
    expect(real.validate(request, { status: 200, headers: res.headers, body: extra }).violations.map((v) => v.kind)).toEqual(["body-schema"]);
    const headers = new Headers(res.headers);
    headers.set("x-debug", "1");
    expect(real.validate(request, { status: 200, headers, body }).violations.map((v) => v.kind)).toEqual(["undeclared-header"]);
    expect(real.validate(request, { status: 418, headers: res.headers, body }).violations.map((v) => v.kind)).toEqual(["undeclared-status"]);
  });
});

/** A safetensors file of one F32 tensor holding `values`. */
function safetensors(values: number[]): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({ w: { dtype: "F32", shape: [values.length], data_offsets: [0, values.length * 4] } }));
  const out = new Uint8Array(8 + header.length + values.length * 4);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(new Uint8Array(new Float32Array(values).buffer), 8 + header.length);
  return out;
}
