"""One HTTP exchange over http.client: a kept-alive connection per thread, the bearer token, and the answer
read whole into a bytearray (writable, so torch and numpy can view it without a copy)."""

from __future__ import annotations

import http.client
import socket
import threading
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Union
from urllib.parse import urlsplit

from .backoff import retry_after_seconds
from .problem import ShardstepNetworkError, problem_of

Token = Union[str, Callable[[], str], None]


@dataclass
class Answer:
    status: int
    headers: Dict[str, str]  # lower-cased names
    body: bytearray

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name)

    def int_header(self, name: str) -> int:
        value = self.headers.get(name)
        try:
            return int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"shardstep: the answer has no integer {name} header (got {value!r})") from None


def _read_body(response: http.client.HTTPResponse) -> bytearray:
    length = response.length
    if length is None:
        return bytearray(response.read())
    body = bytearray(length)
    view = memoryview(body)
    done = 0
    while done < length:
        n = response.readinto(view[done:])
        if not n:
            raise http.client.IncompleteRead(bytes(view[:done]), length - done)
        done += n
    return body


class Transport:
    def __init__(self, base_url: str, token: Token = None, timeout: Optional[float] = None):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._local = threading.local()

    def websocket_url(self, target: str) -> str:
        """The absolute ws(s):// URL of a request target on this server."""
        port = "" if self._port is None else f":{self._port}"
        return f"{'wss' if self._https else 'ws'}://{self._host}{port}{self._prefix}{target}"

    def _connection(self, timeout: Optional[float]) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = kind(self._host, self._port, timeout=timeout)
            self._local.conn = conn
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None

    def send(self, method: str, target: str, headers: Dict[str, str], body: Optional[bytes], timeout: Optional[float] = None, fresh: bool = False) -> Answer:
        """Sends one request; a status >= 400 raises its ShardstepProblem, no answer a ShardstepNetworkError.

        `fresh` opens a new connection first: a call that must not be sent twice then cannot fail on a kept-alive
        connection the server has closed meanwhile (where resending would be the only remedy)."""
        if fresh:
            self._drop()
        sent = dict(headers)
        token = self._token() if callable(self._token) else self._token
        if token:
            sent["authorization"] = f"Bearer {token}"
        conn = self._connection(timeout if timeout is not None else self._timeout)
        try:
            conn.request(method, self._prefix + target, body=body, headers=sent)
            response = conn.getresponse()
            data = _read_body(response)
        except (OSError, http.client.HTTPException, socket.timeout) as error:
            self._drop()
            raise ShardstepNetworkError(f"shardstep: no answer to {method} {target}: {error!r}") from error
        if response.will_close:
            self._drop()
        answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
        if answer.status >= 400:
            raise problem_of(answer.status, answer.headers.get("content-type", ""), data, retry_after_seconds(answer.headers.get("retry-after")))
        return answer

    def close(self) -> None:
        self._drop()
