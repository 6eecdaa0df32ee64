import { ShardstepProblem } from "../sdk/client";

/** An error in words for the pages' status line: a problem's status, title and detail, else its message. */
export function describe(error: unknown): string {
  if (error instanceof ShardstepProblem) return `${error.status} ${error.title}: ${error.detail}`;
  return error instanceof Error ? error.message : String(error);
}
