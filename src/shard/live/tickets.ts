import { LIVE_TICKETS_KEPT } from "../../limits";
import { refuse } from "../../problems";

/**
 * Tickets a shard has redeemed, each kept until it expires so that a second use is refused. The
 * table is the live sessions' own, created on first use (outside the shard's migrations: it holds
 * nothing of the shard, and a deleted shard's redeemed tickets stay redeemed). Bounded: expired
 * rows are deleted at every redemption, and a full table refuses new tickets until rows expire.
 */
export function redeemTicket(sql: SqlStorage, ticket: { id: string; until: number }, now: number): void {
  sql.exec("CREATE TABLE IF NOT EXISTS live_tickets (id TEXT PRIMARY KEY, until INTEGER NOT NULL)");
  sql.exec("DELETE FROM live_tickets WHERE until <= ?", now);
  if (ticket.until <= now) refuse("unauthorized", `the ticket expired at ${new Date(ticket.until).toISOString()}: ask a new one`, { reason: "ticket-expired" });
  if (sql.exec("SELECT 1 FROM live_tickets WHERE id = ?", ticket.id).toArray().length > 0) {
    refuse("unauthorized", "the ticket was used already: a ticket opens one session; ask a new one (POST /v1/shards/{shard}/live/tickets)", { reason: "ticket-used" });
  }
  const kept = sql.exec<{ n: number }>("SELECT count(*) AS n FROM live_tickets").one().n;
  if (kept >= LIVE_TICKETS_KEPT) {
    const first = sql.exec<{ until: number }>("SELECT min(until) AS until FROM live_tickets").one().until;
    refuse("live-backlog", `the shard remembers ${LIVE_TICKETS_KEPT} unexpired tickets already; retry once one expires, or open the session with a bearer token`, {
      retry_after: Math.max(1, Math.ceil((first - now) / 1000)),
    });
  }
  sql.exec("INSERT INTO live_tickets (id, until) VALUES (?, ?)", ticket.id, ticket.until);
}
