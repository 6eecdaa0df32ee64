import { exports } from "cloudflare:workers";
import { openApiDocument } from "../../../src/edge/app";
import { ledger } from "../../support/contract/ledger";
import type { OpenApiDocument } from "../../support/contract/openapi";
import { ResponseValidator } from "../../support/contract/validator";

// The document the Worker serves (openapi.test.ts pins it equal to openapi.yaml).
let validator: ResponseValidator | undefined;
const contract = () => (validator ??= new ResponseValidator(openApiDocument() as OpenApiDocument));

const EMPTY = new Uint8Array();

/**
 * The Worker's fetch with every answer validated against openapi.yaml: counted, and a violation
 * thrown (or recorded, with CONTRACT_MODE=collect). Every worker test speaks HTTP through this.
 *
 * The status, headers and content type are checked when the answer arrives; the body as the test
 * reads it, through a pass-through stream, so a streamed answer streams as it did (a test may
 * change a shard while an export streams) and a body violation errors the read. A body cut short
 * (an error, or fewer bytes than its Content-Length) is not checked; neither is a body the test
 * never reads.
 */
export async function workerFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const asked = { method: request.method, url: request.url };
  const response = await exports.default.fetch(request);
  const head = { status: response.status, headers: response.headers };
  ledger.record(contract().validate(asked, { ...head, body: EMPTY }, "head"));
  if (response.body === null) {
    ledger.record(contract().validate(asked, { ...head, body: EMPTY }, "body"), false);
    return response;
  }
  const chunks: Uint8Array[] = [];
  const checked = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      chunks.push(chunk);
      controller.enqueue(chunk);
    },
    flush() {
      const body = concat(chunks);
      // Shorter than its Content-Length: the answer was cut short (on the wire, the client's read fails).
      const length = response.headers.get("content-length");
      if (length !== null && Number(length) !== body.byteLength) return;
      ledger.record(contract().validate(asked, { ...head, body }, "body"), false);
    },
  });
  return new Response(response.body.pipeThrough(checked), response);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
