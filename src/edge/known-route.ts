import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { refuse } from "../problems";

interface KnownPath {
  readonly pattern: RegExp;
  readonly methods: Set<string>;
}

/** The app's operations by path: `:name` segments match one segment, as Hono's router does. */
function knownPaths(routes: readonly { method: string; path: string }[]): KnownPath[] {
  const byPath = new Map<string, Set<string>>();
  for (const { method, path } of routes) {
    if (method === "ALL") continue; // middleware
    byPath.set(path, (byPath.get(path) ?? new Set()).add(method));
  }
  return [...byPath].map(([path, methods]) => {
    const segments = path.split("/").map((s) => (s.startsWith(":") ? "[^/]+" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
    return { pattern: new RegExp(`^${segments.join("/")}$`), methods: methods.has("GET") ? methods.add("HEAD") : methods };
  });
}

/**
 * Refuses a request no operation serves before anything else looks at it (authentication included):
 * a path of no operation is 404, a method the path does not take is 405 with Allow. So an unknown
 * route answers the same with or without a token, and as the OpenAPI document says (it has no such operation).
 */
export function knownRoute(app: { readonly routes: readonly { method: string; path: string }[] }): MiddlewareHandler {
  let paths: KnownPath[] | undefined;
  return async (c, next) => {
    // The router has matched already: a route of this method (not middleware, "ALL") means it is known.
    if (matchedRoutes(c).some((r) => r.method !== "ALL")) return next();
    paths ??= knownPaths(app.routes);
    const path = new URL(c.req.url).pathname;
    const known = paths.find((p) => p.pattern.test(path));
    if (!known) refuse("not-found", `no route for ${c.req.method} ${path}`);
    if (known.methods.has(c.req.method)) return next(); // what the router makes of it (app.notFound)
    const allow = [...known.methods].sort();
    refuse("method-not-allowed", `${path} takes ${allow.join(", ")}, not ${c.req.method}`, { allow });
  };
}
