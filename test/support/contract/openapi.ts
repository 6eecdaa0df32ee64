/** The parts of an OpenAPI 3.1 document that a response is checked against. */
export type Schema = { [keyword: string]: unknown } | boolean;

export interface HeaderObject {
  required?: boolean;
  schema?: Schema;
}

export interface MediaTypeObject {
  schema?: Schema;
}

export interface ResponseObject {
  headers?: Record<string, HeaderObject>;
  content?: Record<string, MediaTypeObject>;
}

export interface OperationObject {
  operationId?: string;
  responses?: Record<string, ResponseObject>;
}

export interface OpenApiDocument {
  paths?: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, Schema> };
}

export const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
