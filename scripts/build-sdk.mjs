#!/usr/bin/env node
// `npm run build:sdk`: generates the SDK from openapi.yaml into packages/client/src/generated/
// (@hey-api/openapi-ts; a build product, not in git), only when it is stale. The repository uses
// the client package from its sources (sdk/client.ts re-exports packages/client/src), so this is
// all it needs; `npm run build` in packages/client also bundles dist/ for publishing.
//
//   node scripts/build-sdk.mjs            generate if stale
//   node scripts/build-sdk.mjs --force    always generate
import { generate } from "../packages/client/scripts/generate.mjs";

try {
  await generate({ force: process.argv.includes("--force") });
} catch (err) {
  console.error(`build:sdk: failed: ${err?.stack ?? err}`);
  process.exitCode = 1;
}
