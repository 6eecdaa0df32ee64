/**
 * Checks an answer against the operation openapi.yaml declares for its request: the status, the
 * content type, every header, and the body (JSON against the closed schema, binary by its format).
 *
 *   const validator = new ResponseValidator(document);
 *   const { violations } = validator.validate({ method: "GET", url }, { status, headers, body });
 */
import { binaryFault, binaryFormat, type BinaryFormat } from "./binary-bodies";
import { DeclaredHeaders } from "./headers";
import { JsonSchemas } from "./json-schemas";
import type { OpenApiDocument, ResponseObject } from "./openapi";
import { RouteTable } from "./routes";
import type { Violation, ViolationKind } from "./violation";

export interface ContractRequest {
  method: string;
  url: string;
}

export interface ContractResponse {
  status: number;
  headers: Headers;
  /** Empty in the "head" phase. */
  body: Uint8Array;
}

export type Phase = "head" | "body" | "all";

/** What only the body's bytes tell: checked in the "body" phase. */
const BODY_KINDS = new Set<ViolationKind>(["unexpected-body", "missing-content-type", "body-not-json", "body-schema", "binary-body"]);

export interface ContractResult {
  /** False for a path outside the API (a page or an asset) when the validator was told to skip those. */
  validated: boolean;
  violations: Violation[];
}

export interface ValidatorOptions {
  /**
   * What to do with paths outside the document's roots (`/health`, `/v1/...`): "validate" holds
   * them to the unknown-route rule (the Worker alone answers them: 404 problem), "skip" lets
   * them through unchecked (wrangler dev also serves the web pages and assets there).
   */
  outsideApi?: "validate" | "skip";
  /** At most this many schema errors per body (default 5). */
  maxSchemaErrors?: number;
}

interface CompiledContent {
  schemaId?: number;
  json: boolean;
  binary?: BinaryFormat;
}

interface CompiledResponse {
  headers: DeclaredHeaders;
  content: Map<string, CompiledContent>;
}

const PROBLEM = "application/problem+json";
const isJson = (mediaType: string) => mediaType === "application/json" || mediaType.endsWith("+json");

/** The media type of a Content-Type value, without parameters, lower case. */
export const mediaTypeOf = (contentType: string | null) => contentType?.split(";")[0]!.trim().toLowerCase() || undefined;

export class ResponseValidator {
  private readonly routes: RouteTable;
  private readonly schemas: JsonSchemas;
  private readonly compiled = new Map<ResponseObject, CompiledResponse>();
  private readonly problemSchemaId: number | undefined;

  constructor(
    document: OpenApiDocument,
    private readonly options: ValidatorOptions = {},
  ) {
    this.routes = new RouteTable(document);
    this.schemas = new JsonSchemas(document);
    for (const item of Object.values(document.paths ?? {})) {
      for (const op of Object.values(item) as { responses?: Record<string, ResponseObject> }[]) {
        for (const response of Object.values(op?.responses ?? {})) if (!this.compiled.has(response)) this.compiled.set(response, this.compile(response));
      }
    }
    const problem = document.components?.schemas?.Problem;
    this.problemSchemaId = problem === undefined ? undefined : this.schemas.register(problem, true);
  }

  /**
   * The violations of `response`. `phase` splits the check for answers passed on while their body
   * streams: "head" (route, status, headers, content type) when the head arrives, "body" (what
   * needs the bytes) when the body is complete; "all" does both at once.
   */
  validate(request: ContractRequest, response: ContractResponse, phase: Phase = "all"): ContractResult {
    const method = request.method.toUpperCase();
    const pathname = new URL(request.url).pathname;
    if (this.options.outsideApi === "skip" && !this.routes.isApiPath(pathname)) return { validated: false, violations: [] };
    const match = this.routes.match(method, pathname);
    const operation = match?.operation;
    const mediaType = mediaTypeOf(response.headers.get("content-type"));
    const violations: Violation[] = [];
    const name = operation ? `${operation.method} ${operation.template} (${operation.id})` : `${method} ${match?.template ?? pathname}`;
    const report = (kind: ViolationKind, detail: string) => {
      if (phase === "all" || BODY_KINDS.has(kind) === (phase === "body")) violations.push({ operation: name, status: response.status, kind, detail });
    };
    const result = { validated: true, violations };
    const checksBody = phase !== "head";
    if (!operation) {
      if ((response.status === 404 || (response.status === 405 && match)) && mediaType === PROBLEM) {
        if (checksBody && this.problemSchemaId !== undefined) this.checkJson(this.problemSchemaId, response.body, report);
      } else {
        report("unknown-route", match ? `the path has no ${method} operation, and the answer is neither a 404 nor a 405 problem` : "no path of the document matches, and the answer is not a 404 problem");
      }
      return result;
    }
    const declared = operation.responses[String(response.status)];
    if (!declared) {
      report("undeclared-status", `declared: ${Object.keys(operation.responses).join(", ")}`);
      return result;
    }
    const compiled = this.compiled.get(declared)!;
    for (const fault of compiled.headers.check(response.headers, this.schemas)) report(fault.kind, fault.detail);
    const hasBody = response.body.byteLength > 0;
    if (compiled.content.size === 0) {
      if (hasBody) report("unexpected-body", `the status declares no content, the answer has a body${mediaType ? ` (${mediaType})` : ""}`);
      return result;
    }
    // A HEAD answer carries the GET answer's headers without its body.
    if (!hasBody && method === "HEAD") return result;
    const declaredTypes = [...compiled.content.keys()].join(", ");
    if (!mediaType) {
      report("missing-content-type", `declared: ${declaredTypes}`);
      return result;
    }
    const content = compiled.content.get(mediaType);
    if (!content) {
      report("undeclared-content-type", `${mediaType} is not declared (declared: ${declaredTypes})`);
      return result;
    }
    if (!checksBody) return result;
    if (content.json && content.schemaId !== undefined) this.checkJson(content.schemaId, response.body, report);
    if (content.binary) {
      const fault = binaryFault(content.binary, response.body);
      if (fault) report("binary-body", fault);
    }
    return result;
  }

  private checkJson(schemaId: number, body: Uint8Array, report: (kind: ViolationKind, detail: string) => void): void {
    let instance: unknown;
    try {
      instance = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body));
    } catch {
      report("body-not-json", "the body does not parse as JSON");
      return;
    }
    const errors = this.schemas.check(schemaId, instance);
    for (const error of errors.slice(0, this.options.maxSchemaErrors ?? 5)) report("body-schema", error);
  }

  private compile(response: ResponseObject): CompiledResponse {
    const content = new Map<string, CompiledContent>();
    for (const [type, media] of Object.entries(response.content ?? {})) {
      const mediaType = type.toLowerCase();
      const json = isJson(mediaType);
      content.set(mediaType, {
        json,
        schemaId: json && media.schema !== undefined ? this.schemas.register(media.schema, mediaType === PROBLEM) : undefined,
        binary: binaryFormat(mediaType, media.schema),
      });
    }
    return { headers: new DeclaredHeaders(response.headers, this.schemas), content };
  }
}
