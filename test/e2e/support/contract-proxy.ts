/**
 * A validating reverse proxy in front of `wrangler dev`, in the test process: every client of an
 * e2e test (the SDK, Chromium, the example processes, python, curl) reaches the server through it,
 * and every answer of the API is validated against openapi.yaml before the client gets it, byte for
 * byte as the server sent it. Paths outside the API (the web pages and assets wrangler dev serves)
 * pass unchecked.
 *
 * A WebSocket upgrade (a live session) is passed through: its answer's head is validated like any
 * other (a 101, or a refusal with its body), then the two sockets are joined and the frames flow
 * unchecked.
 *
 * When the server dies mid-request (durability tests SIGKILL workerd), the proxy destroys the
 * client's socket, as a dead server's connection would end: it never invents an answer.
 */
import { readFileSync } from "node:fs";
import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";
import { brotliDecompressSync, gunzipSync, inflateSync, zstdDecompressSync } from "node:zlib";
import { join } from "node:path";
import { parse } from "yaml";
import type { ContractResult } from "../../support/contract/validator";
import { ResponseValidator } from "../../support/contract/validator";
import type { OpenApiDocument } from "../../support/contract/openapi";
import { root } from "../../support/wrangler";

/** Headers of one hop (RFC 9110 §7.6.1), not forwarded: node frames each side itself. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te", "trailer"]);

let validator: ResponseValidator | undefined;
const contract = () => (validator ??= new ResponseValidator(parse(readFileSync(join(root, "openapi.yaml"), "utf8"), { maxAliasCount: -1 }) as OpenApiDocument, { outsideApi: "skip" }));

export class ContractProxy {
  private readonly sockets = new Set<Socket>();
  private readonly agent = new Agent({ keepAlive: true });

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {
    server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
  }

  /** Listens on `port` of 127.0.0.1 and forwards to `upstreamPort`, handing every result to `record`. */
  /** `record(result, answer)` gets the head's result (answer: true) and then the body's (answer: false). */
  static async start(port: number, upstreamPort: number, record: (result: ContractResult, answer: boolean) => void): Promise<ContractProxy> {
    const check = contract();
    const server = createServer();
    const proxy = new ContractProxy(server, port);
    server.on("request", (req, res) => {
      const method = req.method ?? "GET";
      const upstream = request({ host: "127.0.0.1", port: upstreamPort, method, path: req.url, headers: forwarded(req.headers), agent: proxy.agent }, (answer) => {
        const asked = { method, url: `http://127.0.0.1:${port}${req.url}` };
        const headers = new Headers();
        const raw: string[] = [];
        for (let i = 0; i < answer.rawHeaders.length; i += 2) {
          const [name, value] = [answer.rawHeaders[i]!, answer.rawHeaders[i + 1]!];
          headers.append(name, value);
          if (!HOP_BY_HOP.has(name.toLowerCase())) raw.push(name, value);
        }
        const status = answer.statusCode!;
        safely(() => record(check.validate(asked, { status, headers, body: EMPTY }, "head"), true));
        // Passed on as it streams; the body is checked once complete. A body cut short ends the client's connection as it ended ours.
        res.writeHead(status, answer.statusMessage, raw);
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          res.write(chunk);
        });
        answer.on("close", () => {
          if (!answer.complete) return req.socket.destroy();
          safely(() => {
            const body = decoded(Buffer.concat(chunks), headers.get("content-encoding"));
            record(check.validate(asked, { status, headers, body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) }, "body"), false);
          });
          res.end();
        });
      });
      upstream.on("error", () => req.socket.destroy());
      req.on("error", () => upstream.destroy());
      res.on("close", () => {
        if (!res.writableFinished) upstream.destroy();
      });
      req.pipe(upstream);
    });
    server.on("upgrade", (req: IncomingMessage, client: Socket, head: Buffer) => passUpgrade(req, client, head, port, upstreamPort, check, record));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    return proxy;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.agent.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** One upgrade request: forwarded with its Upgrade and Connection headers; a 101 joins the sockets, any other answer is relayed and checked. */
function passUpgrade(req: IncomingMessage, client: Socket, head: Buffer, port: number, upstreamPort: number, check: ResponseValidator, record: (result: ContractResult, answer: boolean) => void): void {
  const asked = { method: req.method ?? "GET", url: `http://127.0.0.1:${port}${req.url}` };
  const headLines = (status: number, message: string | undefined, raw: string[]) =>
    `HTTP/1.1 ${status} ${message ?? ""}\r\n${raw.map((v, i) => (i % 2 === 0 ? `${v}: ${raw[i + 1]}\r\n` : "")).join("")}\r\n`;
  const headersOf = (raw: string[]) => {
    const headers = new Headers();
    for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
    return headers;
  };
  const upstream = request({ host: "127.0.0.1", port: upstreamPort, method: asked.method, path: req.url, headers: req.headers });
  upstream.on("upgrade", (answer, server, upstreamHead) => {
    // The handshake's own headers (Upgrade, Sec-WebSocket-*) belong to the protocol, not to the API's contract.
    const headers = headersOf(answer.rawHeaders.filter((_, i, all) => !/^(upgrade|connection|sec-websocket-)/i.test(all[i - (i % 2)]!)));
    safely(() => record(check.validate(asked, { status: 101, headers, body: EMPTY }, "head"), true));
    client.write(headLines(101, answer.statusMessage, answer.rawHeaders));
    if (upstreamHead.length > 0) client.write(upstreamHead);
    if (head.length > 0) server.write(head);
    server.pipe(client).pipe(server);
    server.on("error", () => client.destroy());
    client.on("error", () => server.destroy());
    server.on("close", () => client.destroy());
    client.on("close", () => server.destroy());
  });
  upstream.on("response", (answer) => {
    const chunks: Buffer[] = [];
    answer.on("data", (chunk: Buffer) => chunks.push(chunk));
    answer.on("end", () => {
      const status = answer.statusCode!;
      const headers = headersOf(answer.rawHeaders);
      const body = decoded(Buffer.concat(chunks), headers.get("content-encoding"));
      safely(() => record(check.validate(asked, { status, headers, body: EMPTY }, "head"), true));
      safely(() => record(check.validate(asked, { status, headers, body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) }, "body"), false));
      const raw: string[] = [];
      for (let i = 0; i < answer.rawHeaders.length; i += 2) {
        const name = answer.rawHeaders[i]!;
        if (!HOP_BY_HOP.has(name.toLowerCase()) && name.toLowerCase() !== "content-length") raw.push(name, answer.rawHeaders[i + 1]!);
      }
      const sent = Buffer.concat(chunks);
      client.write(headLines(status, answer.statusMessage, [...raw, "Content-Length", String(sent.length), "Connection", "close"]));
      client.end(sent);
    });
  });
  upstream.on("error", () => client.destroy());
  client.on("error", () => upstream.destroy());
  upstream.end();
}

/** The body without its transport compression (RFC 9110 §8.4), which clients undo before reading it. */
function decoded(body: Buffer, encoding: string | null): Buffer {
  if (body.byteLength === 0) return body;
  switch (encoding?.trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return gunzipSync(body);
    case "deflate":
      return inflateSync(body);
    case "br":
      return brotliDecompressSync(body);
    case "zstd":
      return zstdDecompressSync(body);
    default:
      return body;
  }
}

const EMPTY = new Uint8Array();

/** Runs `check`: a violation thrown in throw mode is already in the ledger, and the test file fails when it ends. */
function safely(check: () => void): void {
  try {
    check();
  } catch {
    // kept in the ledger
  }
}

function forwarded(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}
