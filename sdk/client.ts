/**
 * The repository's way to the client: @shardstep/client from its sources (packages/client/src),
 * built on the SDK that `npm run build:sdk` generates from openapi.yaml. README.md there describes
 * every function; the e2e tests, the bench and examples/mnist import it from here.
 */
export * from "../packages/client/src/index.js";
