import type { Context } from "hono";
import { refuse } from "../../problems";
import { REALM, type AuthVariables, type Principal } from "./middleware";
import { hasScope } from "./token";

/** Who a push comes from: its client, and the key that rate limits and rounds count it under. */
export interface Contributor {
  /** The token's subject. */
  subject: string;
  /** The client: the token's subject, or for a relay the client its X-Client-Id names. */
  clientId: string;
  /** `<subject>/<client>`, each with '%' and '/' escaped: distinct subjects never share a key. */
  clientKey: string;
}

/**
 * The contributor of a push. A token pushes as its subject: an X-Client-Id that names another client
 * is refused (403), since any token could otherwise count as many clients (rate limits, rounds).
 * Only a token with the `relay` scope (a gateway for many devices; `admin` includes it) may name
 * the client it speaks for; its clients are then keyed under its subject.
 */
export function contributorOf<E extends { Variables: AuthVariables }>(c: Context<E, any, any>, clientIdHeader: string | undefined): Contributor {
  const principal = c.get("principal") as Principal;
  const subject = principal.sub;
  if (clientIdHeader !== undefined && clientIdHeader !== subject && !hasScope(principal, "relay")) {
    c.header("WWW-Authenticate", `Bearer realm="${REALM}", error="insufficient_scope", scope="relay"`);
    refuse(
      "forbidden",
      `this token pushes as its subject '${subject}'; X-Client-Id '${clientIdHeader}' names another client, which only a token with the 'relay' scope may do ` +
        "(send no X-Client-Id, or use a relay token)",
      { required_scope: "relay", scopes: principal.scopes, sub: subject, client_id: clientIdHeader },
    );
  }
  const clientId = clientIdHeader ?? subject;
  return { subject, clientId, clientKey: `${escapeKeyPart(subject)}/${escapeKeyPart(clientId)}` };
}

/** Escapes '%' and '/' so that `/` separates the parts of a key unambiguously; other text is kept as it is. */
function escapeKeyPart(text: string): string {
  return text.replace(/%/g, "%25").replace(/\//g, "%2F");
}
