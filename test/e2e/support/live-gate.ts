/**
 * A token function for live-session tests in which the server closes the socket: the first token
 * expires within seconds (the shard closes a session whose token expired, 4401, at its next
 * frame or notice), and a call after `hold()` waits until `release(token)`, so a test acts while
 * the session is down and its reconnect is waiting for its ticket.
 */
export interface TokenGate {
  token(): Promise<string>;
  /** Resolves at the first call made while held: the session is reconnecting. */
  readonly asked: Promise<void>;
  hold(): void;
  release(token: string): void;
  /** When the first token expires (ms since the epoch). */
  readonly expiresAt: number;
}

export function tokenGate(first: string, expiresAt: number): TokenGate {
  let calls = 0;
  let held: Promise<string> | undefined;
  let release: (token: string) => void = () => {};
  let asked: () => void = () => {};
  const askedPromise = new Promise<void>((resolve) => (asked = resolve));
  return {
    expiresAt,
    asked: askedPromise,
    async token() {
      if (calls++ === 0) return first;
      if (!held) return first;
      asked();
      return held;
    },
    hold() {
      held = new Promise<string>((resolve) => (release = resolve));
    },
    release(token) {
      release(token);
    },
  };
}
