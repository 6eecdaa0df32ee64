import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { verifyToken } from "../../src/edge/auth/token";

const root = fileURLToPath(new URL("../../", import.meta.url));
const SECRET = "token-cli-test-secret-0123456789abcdef";

/** Runs scripts/token.ts as `npm run token` does; answers the token it prints. */
const mint = (...args: string[]) =>
  execFileSync(process.execPath, ["--import", "tsx", "scripts/token.ts", ...args], { cwd: root, env: { ...process.env, AUTH_SECRET: SECRET }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

describe("scripts/token.ts", () => {
  it("mints a relay token with --relay, and plain train tokens without it", async () => {
    const relay = await verifyToken(SECRET, mint("--scopes", "train", "--relay", "--sub", "gateway-eu", "--prefix", "team-a."), Math.floor(Date.now() / 1000));
    expect(relay).toMatchObject({ ok: true, claims: { sub: "gateway-eu", scopes: ["train", "relay"], prefix: "team-a." } });
    const train = await verifyToken(SECRET, mint("--scopes", "train", "--sub", "alice"), Math.floor(Date.now() / 1000));
    expect(train).toMatchObject({ ok: true, claims: { sub: "alice", scopes: ["train"] } });
  });
});
