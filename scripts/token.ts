// Mints a bearer token: node --import tsx scripts/token.ts --scopes train --prefix team-a. --sub alice --expires 3600 [--relay]
// Signs with AUTH_SECRET from the environment, else from .dev.vars (or .env files when there is no
// .dev.vars, as wrangler does). The token goes to stdout, a summary to stderr.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, parseEnv } from "node:util";
import { LOCAL_DEV_SECRET } from "../src/edge/auth/dev";
import { isoSeconds, isScope, SCOPES, signToken, type Scope } from "../src/edge/auth/token";
import { MIN_SECRET_LENGTH } from "../src/limits";

const USAGE = `usage: node --import tsx scripts/token.ts [options]

  --scopes <list>    comma-separated, of ${SCOPES.join(", ")} (admin ⊇ relay ⊇ train ⊇ read)   default: admin
  --prefix <text>    names the token covers: those starting with it ("" = all)    default: ""
  --sub <text>       who the token is for; a push counts as this client            default: local
  --relay            adds the relay scope: a gateway that pushes for many clients, naming each in X-Client-Id
  --expires <time>   lifetime: seconds, or a number with s, m, h or d (90m, 7d)    default: never
  --help             this text

The secret is AUTH_SECRET from the environment, else from .dev.vars (npm run dev creates it).`;

const root = resolve(fileURLToPath(import.meta.url), "../..");

function fail(message: string): never {
  console.error(`token: ${message}`);
  process.exit(1);
}

function parseLifetime(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * { "": 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as "" | "s" | "m" | "h" | "d"] : NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) fail(`--expires must be a positive number of seconds, or like 90m, 12h, 7d; got '${text}'`);
  return seconds;
}

function parseScopes(text: string): Scope[] {
  const scopes = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (scopes.length === 0) fail(`--scopes needs at least one of ${SCOPES.join(", ")}`);
  for (const scope of scopes) if (!isScope(scope)) fail(`unknown scope '${scope}'; scopes are ${SCOPES.join(", ")}`);
  return scopes as Scope[];
}

function readSecret(): { secret: string; from: string } {
  const fromEnv = process.env.AUTH_SECRET;
  if (fromEnv) return { secret: fromEnv, from: "the AUTH_SECRET environment variable" };
  const devVars = resolve(root, ".dev.vars");
  // wrangler reads .env files only when there is no .dev.vars; so does this.
  const files = existsSync(devVars) ? [devVars] : [".env", ".env.local"].map((f) => resolve(root, f)).filter((f) => existsSync(f));
  let found: { secret: string; from: string } | undefined;
  for (const file of files) {
    const secret = parseEnv(readFileSync(file, "utf8")).AUTH_SECRET;
    if (secret) found = { secret, from: file.slice(root.length + 1) };
  }
  if (found) return found;
  if (files.length > 0) fail(`${files.map((f) => f.slice(root.length + 1)).join(" and ")} ${files.length === 1 ? "sets" : "set"} no AUTH_SECRET; add a line AUTH_SECRET=... or set it in the environment`);
  fail("no AUTH_SECRET in the environment and no .dev.vars; run `node scripts/dev-vars.mjs` (npm run dev does) or set AUTH_SECRET");
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      scopes: { type: "string", default: "admin" },
      prefix: { type: "string", default: "" },
      sub: { type: "string", default: "local" },
      expires: { type: "string" },
      relay: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (err) {
  fail(`${(err as Error).message}\n\n${USAGE}`);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const scopes = parseScopes(values.scopes);
if (values.relay && !scopes.includes("relay")) scopes.push("relay");
if (values.sub === "") fail("--sub must not be empty");
const iat = Math.floor(Date.now() / 1000);
const exp = values.expires === undefined ? undefined : iat + parseLifetime(values.expires);
const { secret, from } = readSecret();

const token = await signToken(secret, exp === undefined ? { sub: values.sub, scopes, prefix: values.prefix, iat } : { sub: values.sub, scopes, prefix: values.prefix, iat, exp });
console.log(token);

const where = values.prefix === "" ? "every name" : `names starting with '${values.prefix}'`;
console.error(`token for '${values.sub}': ${scopes.join(", ")} on ${where}; ${exp === undefined ? "never expires" : `expires at ${isoSeconds(exp)}`}; signed with ${from}`);
if (secret === LOCAL_DEV_SECRET) console.error("note: that is the local development secret; servers accept it on localhost only");
else if (secret.length < MIN_SECRET_LENGTH) console.error(`warning: the secret is shorter than ${MIN_SECRET_LENGTH} characters; the server refuses to use it`);
