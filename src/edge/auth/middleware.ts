import type { Context, MiddlewareHandler } from "hono";
import { MIN_SECRET_LENGTH } from "../../limits";
import { RefusalError, refuse } from "../../problems";
import { LOCAL_DEV_SECRET, localRequestProblem } from "./dev";
import { coversName, hasScope, isoSeconds, verifyToken, type Scope, type TokenClaims } from "./token";

/** The verified claims of the request's token. */
export type Principal = Readonly<TokenClaims>;
/** `c.var` after bearerAuth: `c.var.principal`. */
export type AuthVariables = { principal: Principal };
export type AuthBindings = { AUTH_SECRET?: string };
export type AuthEnv = { Bindings: AuthBindings; Variables: AuthVariables };

export const REALM = "shardstep";

const CHALLENGE = `Bearer realm="${REALM}"`;
const INVALID_TOKEN = `${CHALLENGE}, error="invalid_token"`;
const SCHEME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,32}$/;

/**
 * Bearer-token authentication for `/v1/*`: checks the deployment's secret, then verifies
 * `Authorization: Bearer <token>` with `c.env.AUTH_SECRET` and sets `c.var.principal`.
 * Refusals are thrown as RefusalErrors (401 with an RFC 6750 challenge; 503 when misconfigured).
 * Route handlers then call `requireScope` with the name they act on.
 */
export function bearerAuth(): MiddlewareHandler<AuthEnv> {
  return async function bearerAuth(c, next) {
    // A live session's ticket stood for the token (ticket-auth.ts).
    if (c.get("principal")) return next();
    const secret = c.env?.AUTH_SECRET;
    if (!secret) refuse("auth-not-configured", "set the AUTH_SECRET secret: wrangler secret put AUTH_SECRET");
    if (secret === LOCAL_DEV_SECRET) {
      const problem = localRequestProblem(c.req.url, c.req.raw.headers);
      if (problem) {
        refuse(
          "dev-secret-in-production",
          `AUTH_SECRET is the public local-development secret, which is only accepted for direct requests from this machine; ${problem}. ` +
            "Set a real secret: wrangler secret put AUTH_SECRET (locally: any 32+ random characters in .dev.vars)",
        );
      }
    } else if (secret.length < MIN_SECRET_LENGTH) {
      refuse(
        "auth-not-configured",
        `AUTH_SECRET is ${secret.length} characters long; use at least ${MIN_SECRET_LENGTH} random ones: openssl rand -base64 48 | wrangler secret put AUTH_SECRET`,
      );
    }

    const header = c.req.header("Authorization");
    if (header === undefined || header.trim() === "") {
      throw unauthorized(c, CHALLENGE, "missing", "the request has no Authorization header; send 'Authorization: Bearer <token>'");
    }
    const space = header.indexOf(" ");
    const scheme = space < 0 ? header : header.slice(0, space);
    if (scheme.toLowerCase() !== "bearer") {
      const named = SCHEME.test(scheme) ? `the '${scheme}' scheme` : "an unsupported scheme";
      throw unauthorized(c, CHALLENGE, "missing", `the Authorization header uses ${named}; send 'Authorization: Bearer <token>'`);
    }
    const token = space < 0 ? "" : header.slice(space + 1).trim();
    if (token === "") throw unauthorized(c, INVALID_TOKEN, "malformed", "the Authorization header has no token after 'Bearer'");

    const result = await verifyToken(secret, token, Math.floor(Date.now() / 1000));
    if (!result.ok) {
      const extensions = result.exp === undefined ? {} : { expired_at: isoSeconds(result.exp) };
      throw unauthorized(c, INVALID_TOKEN, result.reason, result.detail, extensions);
    }
    c.set("principal", result.claims);
    await next();
  };
}

/**
 * Refuses (403 /problems/forbidden) unless the request's token grants `scope` on `name`; answers the
 * principal. `action` words the refusal: "push gradients to" gives "scope 'train' is needed to push
 * gradients to 'x'; the token has 'read'"; without it the refusal names the method and path. For routes without a name (listings), pass
 * `c.var.principal.prefix`, which a token always covers, and filter by it.
 */
export function requireScope<E extends { Variables: AuthVariables }>(
  c: Context<E, any, any>,
  scope: Scope,
  name: string,
  action?: string,
): Principal {
  const principal = c.get("principal") as Principal | undefined;
  if (!principal) throw new Error("requireScope called on a route that bearerAuth() does not cover");
  if (!hasScope(principal, scope)) {
    c.header("WWW-Authenticate", `${CHALLENGE}, error="insufficient_scope", scope="${scope}"`);
    refuse(
      "forbidden",
      `scope '${scope}' is needed ${action ? `to ${action} '${name}'` : `for ${c.req.method} ${new URL(c.req.url).pathname} on '${name}'`}; ` +
        `the token has ${principal.scopes.map((s) => `'${s}'`).join(", ")}`,
      { required_scope: scope, scopes: principal.scopes, name },
    );
  }
  if (!coversName(principal, name)) {
    c.header("WWW-Authenticate", `${CHALLENGE}, error="insufficient_scope"`);
    refuse("forbidden", `token is bound to prefix '${principal.prefix}'; '${name}' is outside it`, {
      prefix: principal.prefix,
      name,
    });
  }
  return principal;
}

/**
 * A route's scope, checked before its validators (`middleware: [scoped("train", "shard")]` in
 * `createRoute`, which runs before the params, query, headers and body are validated): a token
 * without the scope, or with a prefix that does not cover the name in the path parameter `param`,
 * gets 403 whatever else is wrong with the request, never a 400 that tells it about a shard it may not touch.
 */
export function scoped(scope: Scope, param: string, action?: string): MiddlewareHandler<AuthEnv> {
  return async function scoped(c, next) {
    requireScope(c, scope, c.req.param(param) ?? "", action);
    await next();
  };
}

function unauthorized(c: Context, challenge: string, reason: string, detail: string, extensions: Record<string, unknown> = {}): RefusalError {
  c.header("WWW-Authenticate", challenge);
  return new RefusalError("unauthorized", detail, { reason, ...extensions });
}
