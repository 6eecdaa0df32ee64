/**
 * The local-development secret. It is public (it is in the source), so a Worker that has it as
 * AUTH_SECRET serves only direct requests from this machine (`localRequestProblem`); anything else
 * bearerAuth answers 503 /problems/dev-secret-in-production. `scripts/dev-vars.mjs` writes it to `.dev.vars`.
 *
 * This file has no imports and only erasable TypeScript, so Node (≥ 22.18) can import it directly.
 */
export const LOCAL_DEV_SECRET = "shardstep-local-dev-secret:public:never-deploy:0f6b2c9e4a7d1835";

/**
 * Whether a URL hostname (as `new URL(url).hostname` gives it) names this machine:
 * `localhost`, any `127.x.y.z`, or `[::1]`.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host === "[::1]" || isLoopbackAddress(host);
}

/** Whether an IP address (as CF-Connecting-IP gives it) is loopback: `127.x.y.z`, `::1`, or `::ffff:127.x.y.z` (a socket bound to `::`). */
export function isLoopbackAddress(address: string): boolean {
  const ip = address.toLowerCase();
  return ip === "::1" || ip === "0:0:0:0:0:0:0:1" || /^(?:::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip);
}

/**
 * Whether a header is one that proxies, tunnels or Cloudflare's edge add: Forwarded, Via, any
 * X-Forwarded-*, X-Real-IP, any *Client-IP (True-Client-IP, X-Client-IP, ...), CDN-Loop, and every
 * CF-* header but CF-Connecting-IP (CF-Ray, CF-Visitor, CF-Worker, ... come with every request in production).
 */
export function isForwardingHeader(name: string): boolean {
  const header = name.toLowerCase();
  if (header === "cf-connecting-ip") return false;
  return (
    header === "forwarded" ||
    header === "via" ||
    header === "x-real-ip" ||
    header === "cdn-loop" ||
    header.startsWith("x-forwarded-") ||
    header.startsWith("cf-") ||
    header.endsWith("client-ip")
  );
}

/**
 * Why a request is not a direct one from this machine, or undefined when it is: the only requests a
 * Worker with the public secret serves. All of these must hold:
 *
 * - its URL names a loopback host (workerd takes it from the Host header, so alone it proves nothing);
 * - its connecting peer is loopback: wrangler dev (miniflare) sets CF-Connecting-IP to the socket's
 *   peer when the request does not carry one, Cloudflare sets the client's address in production;
 *   a request without it (no wrangler dev in front) is refused;
 * - it carries no header that a proxy, a tunnel or Cloudflare's edge adds (`isForwardingHeader`).
 *
 * A proxy on this machine that adds no header (nginx's `proxy_pass` as it comes) cannot be told from a
 * local client by anything in the request: docs/auth.md says to use a real secret behind any proxy.
 */
export function localRequestProblem(url: string, headers: Headers): string | undefined {
  const host = new URL(url).hostname;
  if (!isLoopbackHost(host)) return `this request is for '${host}'`;
  let forwarding: string | undefined;
  headers.forEach((_, name) => {
    forwarding ??= isForwardingHeader(name) ? name : undefined;
  });
  if (forwarding !== undefined) return `this request came through a proxy, tunnel or Cloudflare's edge (it has a '${forwarding}' header)`;
  const peer = headers.get("cf-connecting-ip");
  if (peer === null) return "this request names no connecting peer (CF-Connecting-IP, which wrangler dev sets)";
  if (!isLoopbackAddress(peer.trim())) return `this request comes from '${peer}', not from this machine`;
  return undefined;
}
