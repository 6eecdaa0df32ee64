/**
 * The load generator of bench:e2e: plain HTTP/1.1 over Node's `http` with kept-alive sockets, one
 * per client. It costs a fifth of the CPU per request that `fetch` through the SDK does, and on a
 * 2-core machine whatever the load generator burns is taken from the server under test.
 */
import http from "node:http";

export interface HttpRequest {
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

export class HttpLoad {
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(baseUrl: string, sockets: number) {
    this.url = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  }

  /** Sends one request and reads its whole answer; rejects on a status of 300 or more. */
  send(req: HttpRequest): Promise<void> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        { host: this.url.hostname, port: this.url.port, method: req.method, path: req.path, headers: req.headers, agent: this.agent },
        (res) => {
          const status = res.statusCode ?? 0;
          res.on("data", () => undefined);
          res.on("end", () => (status < 300 ? resolve() : reject(new Error(`${req.method} ${req.path}: ${status}`))));
          res.on("error", reject);
        },
      );
      request.on("error", reject);
      request.end(req.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
