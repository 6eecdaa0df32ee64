import type { AuthVariables } from "./auth/middleware";
import type { TicketClaims } from "./auth/ticket";

/** The Hono environment of every route: the Worker's bindings and what auth puts in c.var. */
export interface EdgeEnv {
  Bindings: Env;
  Variables: AuthVariables & { liveTicket?: TicketClaims };
}
