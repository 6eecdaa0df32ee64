import { describe, expect, it } from "vitest";
import { isForwardingHeader, isLoopbackAddress, isLoopbackHost, LOCAL_DEV_SECRET, localRequestProblem } from "../../src/edge/auth/dev";

describe("local development secret", () => {
  it("is long and says what it is", () => {
    expect(LOCAL_DEV_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(LOCAL_DEV_SECRET).toMatch(/local-dev/);
  });

  it("is accepted only for loopback hostnames", () => {
    for (const url of ["http://localhost:8787/v1", "http://127.0.0.1/", "http://127.8.9.10/", "http://[::1]:8787/", "http://LOCALHOST/", "http://127.1/"]) {
      expect(isLoopbackHost(new URL(url).hostname), url).toBe(true);
    }
    for (const url of [
      "https://shardstep.example.workers.dev/",
      "http://localhost.example.com/",
      "http://127.0.0.1.nip.io/",
      "http://128.0.0.1/",
      "http://10.0.0.1/",
      "http://0.0.0.0/",
      "http://[::2]/",
      "http://my-localhost/",
    ]) {
      expect(isLoopbackHost(new URL(url).hostname), url).toBe(false);
    }
  });

  it("takes loopback peers as wrangler dev names them in CF-Connecting-IP", () => {
    for (const ip of ["127.0.0.1", "127.3.2.1", "::1", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1"]) expect(isLoopbackAddress(ip), ip).toBe(true);
    for (const ip of ["192.0.2.2", "fd00::2", "::ffff:192.0.2.2", "10.0.0.1", "", "localhost", "127.0.0.1, 10.0.0.1", "::2"]) expect(isLoopbackAddress(ip), ip).toBe(false);
  });

  it("knows the headers that proxies, tunnels and Cloudflare's edge add", () => {
    for (const name of ["Forwarded", "X-Forwarded-For", "x-forwarded-host", "X-Forwarded-Proto", "X-Real-IP", "Via", "True-Client-IP", "X-Client-IP", "CF-Ray", "CF-Visitor", "CF-Worker", "CDN-Loop"]) {
      expect(isForwardingHeader(name), name).toBe(true);
    }
    for (const name of ["CF-Connecting-IP", "Host", "Authorization", "X-Client-Id", "Content-Type", "User-Agent", "Sec-Fetch-Mode", "Origin"]) expect(isForwardingHeader(name), name).toBe(false);
  });

  it("serves the local secret only to direct requests from this machine, whatever the Host header says", () => {
    const local = (url: string, headers: Record<string, string>) => localRequestProblem(url, new Headers(headers));
    const direct = { "cf-connecting-ip": "127.0.0.1", "user-agent": "curl/8" };
    expect(local("http://127.0.0.1:8787/v1/shards", direct)).toBeUndefined();
    expect(local("http://localhost:8787/v1/shards", { "cf-connecting-ip": "::1" })).toBeUndefined();
    expect(local("http://[::1]:8787/v1/shards", { "cf-connecting-ip": "::ffff:127.0.0.1" })).toBeUndefined();
    // What wrangler dev gave on this machine: a reverse proxy forwarding Host 127.0.0.1:8787 with X-Forwarded-For / Forwarded / X-Real-IP ...
    for (const header of ["x-forwarded-for", "forwarded", "x-real-ip", "via", "x-forwarded-host", "cf-ray", "cdn-loop", "true-client-ip"]) {
      expect(local("http://127.0.0.1:8787/v1/shards", { ...direct, [header]: "203.0.113.9" }), header).toMatch(new RegExp(`came through a proxy.*'${header}'`));
    }
    // ... a client elsewhere on the network that connects to a wrangler dev bound to 0.0.0.0 and sends Host: 127.0.0.1:8787 ...
    expect(local("http://127.0.0.1:8787/v1/shards", { "cf-connecting-ip": "192.0.2.2" })).toBe("this request comes from '192.0.2.2', not from this machine");
    // ... a request with no peer at all (not through wrangler dev) ...
    expect(local("http://127.0.0.1:8787/v1/shards", {})).toMatch(/names no connecting peer/);
    // ... and production, where the URL is the Worker's hostname and Cloudflare sets the client's address and CF-Ray.
    expect(local("https://shardstep.example.workers.dev/v1/shards", { "cf-connecting-ip": "203.0.113.9" })).toBe("this request is for 'shardstep.example.workers.dev'");
    expect(local("http://127.0.0.1/v1/shards", { "cf-connecting-ip": "127.0.0.1", "cf-ray": "8f1e2d3c4b5a6978-DFW" })).toMatch(/'cf-ray' header/);
  });
});
