import { HTTP_METHODS, type OpenApiDocument, type OperationObject } from "./openapi";

/** One operation of the document: where it lives and what it answers. */
export interface Operation {
  method: string;
  template: string;
  id: string;
  responses: NonNullable<OperationObject["responses"]>;
}

interface Route {
  template: string;
  segments: (string | null)[]; // null: a {parameter}, matching one non-empty segment
  operations: Map<string, Operation>;
}

/** Finds the operation a request is for by its method and path template (`/v1/shards/{shard}/weights`). */
export class RouteTable {
  private readonly routes: Route[];
  /** The first path segments the document serves (`health`, `v1`): everything else is not the API. */
  private readonly apiRoots: Set<string>;

  constructor(document: OpenApiDocument) {
    this.routes = Object.entries(document.paths ?? {}).map(([template, item]) => {
      const operations = new Map<string, Operation>();
      for (const method of HTTP_METHODS) {
        const op = item[method] as OperationObject | undefined;
        if (op) operations.set(method.toUpperCase(), { method: method.toUpperCase(), template, id: op.operationId ?? `${method.toUpperCase()} ${template}`, responses: op.responses ?? {} });
      }
      return { template, segments: splitPath(template).map((s) => (/^\{.+\}$/.test(s) ? null : s)), operations };
    });
    // Most literal segments first, so `/v1/shards/{shard}/weights` wins over a parameter in the same place.
    this.routes.sort((a, b) => literals(b) - literals(a));
    this.apiRoots = new Set(this.routes.map((r) => r.segments[0]).filter((s): s is string => typeof s === "string"));
  }

  /** The route matching `pathname`, with the operation for `method` (undefined when the path has none for it). */
  match(method: string, pathname: string): { template: string; operation: Operation | undefined } | undefined {
    const parts = splitPath(pathname);
    for (const route of this.routes) {
      if (route.segments.length !== parts.length) continue;
      if (route.segments.every((s, i) => (s === null ? parts[i] !== "" : s === parts[i]))) {
        // HEAD is answered by the GET route without a body.
        return { template: route.template, operation: route.operations.get(method) ?? (method === "HEAD" ? route.operations.get("GET") : undefined) };
      }
    }
    return undefined;
  }

  /** Whether the path is under one of the document's roots (`/health`, `/v1/...`), not a page or an asset. */
  isApiPath(pathname: string): boolean {
    return this.apiRoots.has(splitPath(pathname)[0] ?? "");
  }
}

const splitPath = (path: string) => path.replace(/^\//, "").split("/");
const literals = (route: Route) => route.segments.filter((s) => s !== null).length;
