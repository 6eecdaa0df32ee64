import type { JsonSchemas } from "./json-schemas";
import type { HeaderObject } from "./openapi";
import type { ViolationKind } from "./violation";

/**
 * Headers any HTTP answer may carry without the API declaring them: the framing and transport of
 * the message (RFC 9110/9112: content-type and content-length describe the body, transfer-encoding,
 * connection and keep-alive the connection, content-encoding a transport compression), the origin
 * server's `date` and `server`, and `vary`, which only tells caches what the negotiation used.
 * Everything else an operation sends — ETag, Retry-After, WWW-Authenticate, every X-* — is part
 * of its contract and must be declared.
 */
export const GENERIC_HEADERS = new Set(["content-type", "content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive", "date", "server", "vary"]);

export interface HeaderFault {
  kind: ViolationKind;
  detail: string;
}

/** Declared headers of one response, compiled once: their schemas registered for checking. */
export class DeclaredHeaders {
  private readonly byName = new Map<string, { name: string; required: boolean; schemaId?: number; numeric?: "integer" | "number" }>();

  constructor(declared: Record<string, HeaderObject> | undefined, schemas: JsonSchemas) {
    for (const [name, header] of Object.entries(declared ?? {})) {
      const schema = header.schema;
      const type = typeof schema === "object" ? schema.type : undefined;
      this.byName.set(name.toLowerCase(), {
        name,
        required: header.required === true,
        schemaId: schema === undefined ? undefined : schemas.register(schema),
        numeric: type === "integer" || type === "number" ? type : undefined,
      });
    }
  }

  check(headers: Headers, schemas: JsonSchemas): HeaderFault[] {
    const faults: HeaderFault[] = [];
    headers.forEach((value, name) => {
      const declared = this.byName.get(name);
      if (!declared) {
        if (!GENERIC_HEADERS.has(name)) faults.push({ kind: "undeclared-header", detail: `${name} is sent but not declared` });
        return;
      }
      let instance: unknown = value;
      if (declared.numeric) {
        const pattern = declared.numeric === "integer" ? /^-?\d+$/ : /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
        if (!pattern.test(value.trim())) {
          faults.push({ kind: "header-value", detail: `${declared.name} is declared ${declared.numeric} but is not one` });
          return;
        }
        instance = Number(value);
      }
      if (declared.schemaId !== undefined) {
        for (const error of schemas.check(declared.schemaId, instance)) faults.push({ kind: "header-value", detail: `${declared.name}${error.replace(/^\/:/, ":")}` });
      }
    });
    for (const { name, required } of this.byName.values()) {
      if (required && !headers.has(name)) faults.push({ kind: "missing-header", detail: `${name} is declared required but absent` });
    }
    return faults;
  }
}
