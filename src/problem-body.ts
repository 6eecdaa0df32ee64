import { problemSpec, type Refusal } from "./problems";

/**
 * RFC 9457 problem details: every refusal the API makes is answered as one, over HTTP
 * (src/edge/problem.ts) and in a live session's problem frame (src/shard/live), with a stable `type`
 * per cause (`/problems/<code>`, src/problems.ts) so that clients can branch on it.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

/** The problem of a refusal: status, title and type from the table, the refusal's detail and fields. */
export function problemOf(refusal: Refusal, instance?: string): Problem {
  const { status, title, type } = problemSpec(refusal.code);
  return { type: `/problems/${type}`, title, status, detail: refusal.detail, ...(instance ? { instance } : {}), ...refusal.extensions };
}
