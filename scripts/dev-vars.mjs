// Creates .dev.vars with a random AUTH_SECRET for `wrangler dev`, when there is none.
// Never overwrites: an existing .dev.vars is left alone (with a warning if it sets no AUTH_SECRET).
// When .env files exist and .dev.vars does not, it creates nothing: wrangler ignores .env files once
// a .dev.vars exists.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { randomBytes } from "node:crypto";

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

// A secret of this machine's own, not the public LOCAL_DEV_SECRET of src/edge/auth/dev.ts: a proxy or a
// tunnel in front of `npm start` (which may look exactly like a local client) still needs a token
// signed with it.
const secret = randomBytes(32).toString("hex");
const text = `# Local development only (created by scripts/dev-vars.mjs; gitignored): a random secret of this machine.
# Tokens for it: npm run -s token. Deployments set their own: wrangler secret put AUTH_SECRET
AUTH_SECRET=${secret}
`;
try {
  writeFileSync(devVars, text, { flag: "wx", mode: 0o600 });
} catch (err) {
  if (err.code === "EEXIST") process.exit(0); // created meanwhile: still never overwrite
  throw err;
}
console.error("dev-vars: created .dev.vars with a random AUTH_SECRET of this machine (mint a token: npm run -s token)");
