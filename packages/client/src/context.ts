/** What every call group shares: the generated client, and how a call is attempted and retried. */
import { createClient, createConfig, type Client } from "./generated/client/index.js";
import { DEFAULT_RETRY, resolveRetry, withRetries, type RetryOptions, type RetryPolicy } from "./retry.js";

export interface ShardstepOptions {
  /** Where the API is, e.g. "http://127.0.0.1:8787". */
  baseUrl: string;
  /** A bearer token (see docs/auth.md), or a function that answers one per request. */
  token?: string | (() => string | Promise<string>);
  /** A fetch implementation (default: globalThis.fetch). */
  fetch?: typeof fetch;
  /** Retries of every call (per call: `retry` in its options); `false` for a single attempt. */
  retry?: RetryOptions | false;
}

/** Options every call takes. */
export interface CallOptions {
  /** Aborts the call, its retries and the waits between them. */
  signal?: AbortSignal;
  /** This call's retries, laid over the client's; `false` for a single attempt. */
  retry?: RetryOptions | false;
}

export interface Context {
  readonly client: Client;
  /**
   * Runs one call: `attempt` (given the attempt's signal and number) is repeated per the retry
   * policy. `idempotent` says whether a request that may have been carried out can be sent again.
   */
  run<T>(options: CallOptions | undefined, idempotent: boolean, attempt: (signal: AbortSignal | undefined, attemptNumber: number) => Promise<T>): Promise<T>;
}

export function createContext(options: ShardstepOptions): Context {
  const client = createClient(
    createConfig({
      baseUrl: options.baseUrl,
      ...(options.token === undefined ? {} : { auth: options.token }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    }),
  );
  const policy: RetryPolicy = resolveRetry(DEFAULT_RETRY, options.retry);
  return {
    client,
    run(call, idempotent, attempt) {
      return withRetries(resolveRetry(policy, call?.retry), { idempotent, signal: call?.signal }, attempt);
    },
  };
}
