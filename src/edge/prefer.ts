import { MAX_WAIT_SECONDS } from "../limits";

/** The preferences of an RFC 7240 `Prefer` header this API honours. */
export interface Preferences {
  /** `return=minimal`: a summary instead of the vector. */
  minimal: boolean;
  /** `wait=N`: seconds the client will wait for a change (bounded by MAX_WAIT_SECONDS); 0 when absent. */
  waitSeconds: number;
}

export function preferencesOf(header: string | undefined): Preferences {
  const value = header ?? "";
  const wait = /(?:^|[,;\s])wait=(\d+(?:\.\d+)?)\b/.exec(value);
  return {
    minimal: /(?:^|[,;\s])return=minimal\b/.test(value),
    waitSeconds: wait ? Math.min(Number(wait[1]), MAX_WAIT_SECONDS) : 0,
  };
}

/** The Preference-Applied header for what was honoured. */
export function preferenceApplied(p: Preferences): string | undefined {
  const applied = [p.minimal ? "return=minimal" : "", p.waitSeconds > 0 ? `wait=${p.waitSeconds}` : ""].filter(Boolean);
  return applied.length > 0 ? applied.join(", ") : undefined;
}
