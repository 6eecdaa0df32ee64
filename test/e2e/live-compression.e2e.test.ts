/**
 * Live sessions refuse permessage-deflate: float32 frames do not compress, and deflating them cost
 * the runtime more than the rest of a small push (docs/live.md). wrangler.toml's
 * `no_web_socket_compression` does it, on the socket the Worker itself serves, as in production.
 *
 * `wrangler dev` cannot show it: its runtime's entry socket is miniflare's own entry Worker, which
 * negotiates compression with the client before the upgrade reaches ours. So this runs the deploy
 * bundle (`wrangler deploy --dry-run`) in Miniflare with a direct socket to the Worker, once with
 * wrangler.toml's flags and once without that flag, and opens a session from Node's WebSocket,
 * which offers permessage-deflate on every upgrade.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createShardstep } from "../../packages/client/src/index";
import { deployBundle, PRODUCTION_CONFIG, root } from "../support/wrangler";
import { signToken } from "../../src/edge/auth/token";

const NO_COMPRESSION = "no_web_socket_compression";
const config = readFileSync(join(root, PRODUCTION_CONFIG), "utf8");
const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(config)![1]!;
const compatibilityFlags = JSON.parse(/^compatibility_flags\s*=\s*(\[[^\]]*\])/m.exec(config)![1]!) as string[];
const objects = [...config.matchAll(/\[\[durable_objects\.bindings\]\]\s*name\s*=\s*"(\w+)"\s*class_name\s*=\s*"(\w+)"/g)].map((m) => [m[1]!, m[2]!] as const);

/** A secret of its own: the local-development secret is refused without wrangler dev's CF-Connecting-IP. */
const AUTH_SECRET = randomBytes(32).toString("hex");
const dir = mkdtempSync(join(tmpdir(), "shardstep-compression-"));
let outdir: string;
let token: string;

beforeAll(async () => {
  // The static assets play no part here: an empty folder instead of public/ (no `npm run build:web` needed).
  const noAssets = join(dir, "no-assets");
  mkdirSync(noAssets);
  outdir = await deployBundle(PRODUCTION_CONFIG, join(dir, "bundle"), ["--assets", noAssets]);
  token = await signToken(AUTH_SECRET, { sub: "compression", scopes: ["admin"], prefix: "", iat: Math.floor(Date.now() / 1000) });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The deploy bundle's modules as Miniflare takes them: the entry first, kernels.wasm compiled, the migrations' SQL as text. */
function bundleModules(outdir: string) {
  const type = (file: string) => (file.endsWith(".wasm") ? "CompiledWasm" : file.endsWith(".sql") ? "Text" : "ESModule") as "ESModule" | "CompiledWasm" | "Text";
  const files = readdirSync(outdir).filter((f) => /\.(js|wasm|sql)$/.test(f));
  return ["index.js", ...files.filter((f) => f !== "index.js")].map((f) => ({ type: type(f), path: join(outdir, f) }));
}

/** The bundle in Miniflare with `flags`, served on a socket of its own; `run` gets that socket's URL. */
async function served(flags: string[], run: (baseUrl: string) => Promise<void>): Promise<void> {
  // Miniflare's flat options of version 4, as wrangler's configuration maps onto them.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      // Miniflare's own entry socket on a free port (its default, 8787, is `npm start`'s).
      host: "127.0.0.1",
      port: 0,
      name: "shardstep",
      modulesRoot: outdir,
      modules: bundleModules(outdir),
      compatibilityDate,
      compatibilityFlags: flags,
      bindings: { AUTH_SECRET },
      durableObjects: Object.fromEntries(objects.map(([binding, className]) => [binding, { className, useSQLite: true }])),
      unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    }),
  );
  try {
    const url = await mf.unsafeGetDirectURL("shardstep");
    await run(url.origin);
  } finally {
    await mf.dispose();
  }
}

/** The extensions a session on `shard` negotiates when the client offers permessage-deflate (Node's WebSocket always does). */
async function extensionsOf(baseUrl: string, shard: string): Promise<string> {
  const url = `${baseUrl.replace(/^http/, "ws")}/v1/shards/${shard}/live`;
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } } as unknown as string[]);
  try {
    return await new Promise<string>((resolve, reject) => {
      ws.onopen = () => resolve(ws.extensions);
      ws.onerror = () => reject(new Error(`${url}: the upgrade failed`));
    });
  } finally {
    ws.close();
  }
}

describe("permessage-deflate on a live session", () => {
  it("wrangler.toml's flags include the refusal", () => {
    expect(compatibilityFlags).toContain(NO_COMPRESSION);
    expect(objects.map(([binding]) => binding)).toContain("SHARDS");
  });

  it("is refused with wrangler.toml's flags, and negotiated without that flag", async () => {
    const negotiated: Record<string, string> = {};
    for (const [label, flags] of [
      ["wrangler.toml", compatibilityFlags],
      ["without the flag", compatibilityFlags.filter((f) => f !== NO_COMPRESSION)],
    ] as const) {
      await served([...flags], async (baseUrl) => {
        const api = createShardstep({ baseUrl, token });
        await api.createShard("compression", { length: 4, rule: "sgd", hyper: { lr: 1 } });
        negotiated[label] = await extensionsOf(baseUrl, "compression");
      });
    }
    expect(negotiated["wrangler.toml"]).toBe("");
    expect(negotiated["without the flag"]).toMatch(/^permessage-deflate\b/);
  }, 120_000);
});
