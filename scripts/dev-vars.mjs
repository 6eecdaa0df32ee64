// Creates .dev.vars with AUTH_SECRET=<LOCAL_DEV_SECRET> for `wrangler dev`, when there is none.
// Never overwrites: an existing .dev.vars is left alone (with a warning if it sets no AUTH_SECRET).
// When .env files exist and .dev.vars does not, it creates nothing: wrangler ignores .env files once
// a .dev.vars exists. Needs Node >= 22.18 (it imports a .ts file); npm scripts use the project's Node.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseEnv } from "node:util";

const root = new URL("../", import.meta.url);
const devVars = new URL(".dev.vars", root);
const warn = (message) => console.error(`dev-vars: ${message}`);

if (existsSync(devVars)) {
  if (!parseEnv(readFileSync(devVars, "utf8")).AUTH_SECRET) {
    warn(".dev.vars sets no AUTH_SECRET, so /v1 will answer 503; add a line AUTH_SECRET=... (or delete .dev.vars and rerun this)");
  }
  process.exit(0);
}

const envFiles = [".env", ".env.local"].filter((name) => existsSync(new URL(name, root)));
if (envFiles.length > 0) {
  const setsSecret = envFiles.some((name) => parseEnv(readFileSync(new URL(name, root), "utf8")).AUTH_SECRET);
  if (!setsSecret) warn(`${envFiles.join(" and ")} ${envFiles.length === 1 ? "sets" : "set"} no AUTH_SECRET, so /v1 will answer 503; add AUTH_SECRET there (a .dev.vars would hide them)`);
  process.exit(0);
}

let LOCAL_DEV_SECRET;
try {
  ({ LOCAL_DEV_SECRET } = await import("../src/edge/auth/dev.ts"));
} catch (err) {
  warn(`cannot import src/edge/auth/dev.ts with Node ${process.version} (${err.code ?? err.message}); run it with Node >= 22.18 or: node --import tsx scripts/dev-vars.mjs`);
  process.exit(1);
}

const text = `# Local development only (created by scripts/dev-vars.mjs; gitignored).
# This AUTH_SECRET is the public LOCAL_DEV_SECRET of src/edge/auth/dev.ts: the Worker accepts it only
# for requests to localhost, 127.x or [::1]. Deployments set their own: wrangler secret put AUTH_SECRET
AUTH_SECRET=${LOCAL_DEV_SECRET}
`;
try {
  writeFileSync(devVars, text, { flag: "wx", mode: 0o600 });
} catch (err) {
  if (err.code === "EEXIST") process.exit(0); // created meanwhile: still never overwrite
  throw err;
}
console.error("dev-vars: created .dev.vars with the local development AUTH_SECRET (mint a token: npm run -s token)");
