/** What a response did that its operation in openapi.yaml does not declare. */
export type ViolationKind =
  | "unknown-route" // no operation for the method and path, and not a 404 problem
  | "undeclared-status"
  | "undeclared-content-type"
  | "missing-content-type"
  | "unexpected-body" // a body on a status that declares none
  | "undeclared-header"
  | "missing-header" // a header declared required is absent
  | "header-value"
  | "body-not-json"
  | "body-schema"
  | "binary-body";

export interface Violation {
  /** `METHOD /template (operationId)`, or the method and path when no operation matches. */
  operation: string;
  status: number;
  kind: ViolationKind;
  /** Stable across requests (no names or values of one request), so equal faults group together. */
  detail: string;
}

export const formatViolation = (v: Violation) => `${v.operation} → ${v.status}: ${v.kind}: ${v.detail}`;
