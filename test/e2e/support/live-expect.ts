/** What the live reconnect scenario (live-scenario.ts) needs from the test process, and must give. */
import { expect } from "vitest";
import { signToken } from "../../../src/edge/auth/token";
import { expectedVersions, type ReconnectOutcome } from "./live-scenario";
import { AUTH_SECRET } from "./server";

/** A token that expires within five seconds (long enough for the session to open on a loaded machine), and when. */
const LIFETIME_S = 5;

export async function shortLivedToken(): Promise<{ token: string; expiresAt: number }> {
  const iat = Math.floor(Date.now() / 1000);
  return { token: await signToken(AUTH_SECRET, { sub: "e2e", scopes: ["admin"], prefix: "", iat, exp: iat + LIFETIME_S }), expiresAt: (iat + LIFETIME_S) * 1000 };
}

/** What the reconnect scenario must give, in Node and in Chromium alike. */
export function expectReconnected(outcome: ReconnectOutcome): void {
  expect(outcome.opened).toEqual({ transport: "socket" });
  expect(outcome.transport).toBe("socket");
  expect(outcome.reconnects).toEqual([{ transport: "socket", resent: 1 }]);
  // a, b, c, d, e: five keys, five versions; b's resend and its later push with the same key applied once.
  expect(outcome.version).toBe(5);
  expect(outcome.weights).toEqual([-15, -15, -15, -15]);
  expect(outcome.firstValues).toEqual([-1, -1, -1, -1]);
  expect(outcome.answers[0]).toMatchObject({ version: 1, replayed: false, via: "socket" });
  expect(outcome.answers[1]!.replayed).toBe(false);
  expect([2, 4]).toContain(outcome.answers[1]!.version);
  expect(outcome.answers[2]).toMatchObject({ version: outcome.answers[1]!.version, replayed: true });
  // Notices in order, each version once, the ones missed while down counted as skipped.
  const versions = outcome.notices.map((n) => n.version);
  expect(versions).toEqual([...versions].sort((x, y) => x - y));
  expect(new Set(versions).size).toBe(versions.length);
  expect(versions.slice(0, 2)).toEqual([0, 1]);
  expect(versions.at(-1)).toBe(5);
  expect(expectedVersions(outcome)).toEqual({ seen: 5, total: 5 });
}

