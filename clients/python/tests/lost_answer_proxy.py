"""A proxy that loses answers: it forwards every request to the server, and for the first `drop` requests whose
path matches, it reads the server's whole answer and then closes the client's connection without a byte. The
request was carried out; the client saw no answer. It records every request's method, path and Idempotency-Key."""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List, Optional, Tuple
from urllib.parse import urlsplit


@dataclass
class LostAnswerProxy:
    upstream: str
    path_contains: str
    drop: int = 1
    seen: List[Tuple[str, str, Optional[str]]] = field(default_factory=list)
    dropped: int = 0

    def __post_init__(self) -> None:
        target = urlsplit(self.upstream)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                proxy.seen.append((self.command, self.path, self.headers.get("idempotency-key")))
                conn = http.client.HTTPConnection(target.hostname, target.port)
                conn.request(self.command, self.path, body=body, headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
                answer = conn.getresponse()
                data = answer.read()
                conn.close()
                if self.path.find(proxy.path_contains) >= 0 and proxy.dropped < proxy.drop:
                    proxy.dropped += 1
                    self.close_connection = True  # the answer is lost on the way back
                    return
                self.send_response(answer.status)
                for k, v in answer.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
