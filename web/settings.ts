/**
 * Where the pages' token, shard and sweep names come from. The pages hold no secret of their own: a token
 * arrives in the URL fragment (`/#token=…&shard=…`, what `npm run -s learner:url` prints; `/#token=…&sweep=…`
 * and `/sweep#token=…&sweep=…`, what `npm run -s sweep:url` prints; a fragment
 * never leaves the browser, so it reaches no server log) or is pasted into the form. It is kept in
 * sessionStorage (this tab only, gone when the tab closes) and taken out of the address bar at once,
 * so it lands neither in the history nor in a copied link.
 */

const TOKEN_KEY = "shardstep.learner.token";
export const DEFAULT_SHARD = "learn.mnist";

export interface Settings {
  token: string | undefined;
  shard: string;
  /** The sweep to work for (the learner page) or to watch (the sweep page); "" for none. */
  sweep: string;
}

/**
 * Reads `token`, `shard` and `sweep` from the fragment (the fragment then keeps all but the token),
 * falling back to the token this tab stored before (both pages share it).
 */
export function takeSettings(location: Location, history: History, storage: Storage): Settings {
  const params = new URLSearchParams(location.hash.slice(1));
  const fromFragment = params.get("token")?.trim();
  if (fromFragment) storeToken(storage, fromFragment);
  if (params.has("token")) {
    params.delete("token");
    const rest = params.toString();
    history.replaceState(history.state, "", `${location.pathname}${location.search}${rest ? `#${rest}` : ""}`);
  }
  return {
    token: fromFragment || storage.getItem(TOKEN_KEY) || undefined,
    shard: params.get("shard")?.trim() || DEFAULT_SHARD,
    sweep: params.get("sweep")?.trim() ?? "",
  };
}

export function storeToken(storage: Storage, token: string): void {
  storage.setItem(TOKEN_KEY, token);
}
