import { exports } from "cloudflare:workers";
import { openApiDocument } from "../../../src/edge/app";
import { ledger } from "../../support/contract/ledger";
import type { OpenApiDocument } from "../../support/contract/openapi";
import { ResponseValidator } from "../../support/contract/validator";

// The document the Worker serves (openapi.test.ts pins it equal to openapi.yaml).
let validator: ResponseValidator | undefined;
const contract = () => (validator ??= new ResponseValidator(openApiDocument() as OpenApiDocument));

/**
 * The Worker's fetch with every answer validated against openapi.yaml: counted, and a violation
 * thrown (or recorded, with CONTRACT_MODE=collect). Every worker test speaks HTTP through this.
 */
export async function workerFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const { method, url } = request;
  const response = await exports.default.fetch(request);
  const body = new Uint8Array(await response.clone().arrayBuffer());
  ledger.record(contract().validate({ method, url }, { status: response.status, headers: response.headers, body }));
  return response;
}
