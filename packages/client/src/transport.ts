/** What a generated SDK function answered (throwOnError off), turned into a response or a thrown error. */
import { problemOf, ShardstepNetworkError } from "./problem.js";

/** The fields a generated function answers with. */
export type Fields<T> = { data?: T; error?: unknown; request?: Request; response?: Response } | undefined;

/**
 * The data and response of a successful answer (also a 304, which only answers an If-None-Match
 * the caller sent, and carries no data). An answer with status ≥ 400 throws its ShardstepProblem;
 * a request that was sent but got no answer (refused, reset, aborted) throws a
 * ShardstepNetworkError with the fetch error as its cause. A failure before anything was sent (the
 * token function threw, say) is thrown as it is.
 */
export async function settle<T>(pending: Promise<Fields<T>>): Promise<{ data: T; response: Response }> {
  const result = await pending;
  const response = result?.response;
  if (!response) {
    const cause = result?.error;
    if (!result?.request) throw cause;
    throw new ShardstepNetworkError(`shardstep: no answer: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
  if (!response.ok && response.status !== 304) throw problemOf(response, result.error);
  return { data: result.data as T, response };
}
