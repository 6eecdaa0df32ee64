"""The peer of bench:e2e (f): a minimal durable parameter server, for comparison with shardstep.

One shard of `--length` float32 parameters updated by torch.optim.Adam (Debian's python3-torch),
served over HTTP/1.1 by the standard library (ThreadingHTTPServer: a thread per kept-alive
connection), kept in SQLite with `synchronous=FULL`. It speaks the part of shardstep's push that
bench/e2e.ts sends:

    POST /v1/shards/{shard}/gradients     body: raw little-endian float32, the whole gradient
      Authorization: Bearer <--token>     (compared, not verified: the peer has no key)
      Idempotency-Key: <key>              optional; a retry answers the first outcome, applies nothing
      Prefer: return=minimal              optional; a JSON summary instead of the weights
    -> 200, the new weights as raw float32 (or the summary), X-Shard-Version, X-Push-Version, ETag,
       Idempotent-Replayed: true on a replay; 400/401/404/422 as application/problem+json.
    GET /health -> 200 {"status": "ok"}
    GET /v1/shards/{shard}/status -> 200 {"version", "pushes", "writes"}

Durability: a push is answered only once its step is committed: the weights, both Adam moments,
the step count, the version and the push's idempotency record, in one SQLite transaction whose
commit fsyncs. The journal is WAL, which a careful engineer picks here: a commit appends the
changed pages to the log and fsyncs it once, where the rollback journal writes and fsyncs the
journal, then the database, then deletes the journal (three or more syncs per commit); with
synchronous=FULL the WAL is fsynced at every commit, so an acknowledged push survives a power cut.
The state is a few BLOBs in one row (raw float32 bytes), rewritten per commit.

Group commit, as shardstep does it: pushes are applied one at a time in memory under a lock;
whoever then needs a commit takes the commit lock and writes everything applied so far in one
transaction, so concurrent pushes share one fsync; each is answered after a commit that covers it.

Run: ATEN_CPU_CAPABILITY=default /usr/bin/python3 bench/peer/param_server.py --db DIR/peer.sqlite
     --port N --shard NAME --length 1024 --lr 1e-3 --token T   (prints "listening <port>" when ready)
"""

import argparse
import collections
import hashlib
import json
import re
import sqlite3
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch

LEDGER_KEEP = 10_000  # outcomes remembered per shard, as shardstep's ledger
GRADIENTS = re.compile(r"^/v1/shards/([^/]+)/gradients$")
STATUS = re.compile(r"^/v1/shards/([^/]+)/status$")


class Problem(Exception):
    def __init__(self, status, kind, detail):
        super().__init__(detail)
        self.status, self.kind, self.detail = status, kind, detail


class Shard:
    """The parameters, the optimizer and their durable copy."""

    def __init__(self, db_path, length, lr):
        self.length = length
        self.db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY CHECK (id = 0), version INTEGER NOT NULL,"
            " step REAL NOT NULL, weights BLOB NOT NULL, exp_avg BLOB NOT NULL, exp_avg_sq BLOB NOT NULL)"
        )
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS ledger (key TEXT PRIMARY KEY, body_hash BLOB NOT NULL, version INTEGER NOT NULL)"
        )
        self.param = torch.nn.Parameter(torch.zeros(length, dtype=torch.float32))
        self.opt = torch.optim.Adam([self.param], lr=lr)
        self.version = 0
        self.ledger = collections.OrderedDict()  # key -> (body_hash, version), oldest first
        self.unwritten = []  # ledger records applied in memory, not yet committed
        self.durable = 0  # the highest version committed
        self.pushes = 0
        self.writes = 0
        self.apply_lock = threading.Lock()
        self.commit_lock = threading.Lock()
        self._load()

    def _load(self):
        row = self.db.execute("SELECT version, step, weights, exp_avg, exp_avg_sq FROM state").fetchone()
        if row is None:
            return
        version, step, weights, exp_avg, exp_avg_sq = row
        with torch.no_grad():
            self.param.copy_(torch.frombuffer(bytearray(weights), dtype=torch.float32))
        if step > 0:
            self.opt.state[self.param] = {
                "step": torch.tensor(step),
                "exp_avg": torch.frombuffer(bytearray(exp_avg), dtype=torch.float32).clone(),
                "exp_avg_sq": torch.frombuffer(bytearray(exp_avg_sq), dtype=torch.float32).clone(),
            }
        self.version = self.durable = version
        for key, body_hash, v in self.db.execute("SELECT key, body_hash, version FROM ledger ORDER BY version"):
            self.ledger[key] = (body_hash, v)

    def push(self, gradient, key, with_weights):
        """Applies one gradient (or finds its key's first outcome); once durable, returns its version, the
        current version, whether it was a replay, and the current weights' bytes (when asked)."""
        body_hash = hashlib.sha256(gradient).digest() if key is not None else None
        with self.apply_lock:
            known = self.ledger.get(key) if key is not None else None
            if known is not None:
                if known[0] != body_hash:
                    raise Problem(422, "idempotency-key-reused", f"the Idempotency-Key {key!r} was used with another gradient; use a new key for a new push")
                version, replayed = known[1], True
            else:
                self.param.grad = torch.frombuffer(bytearray(gradient), dtype=torch.float32)
                self.opt.step()
                self.version += 1
                self.pushes += 1
                version, replayed = self.version, False
                if key is not None:
                    self.ledger[key] = (body_hash, version)
                    self.unwritten.append((key, body_hash, version))
                    while len(self.ledger) > LEDGER_KEEP:
                        self.ledger.popitem(last=False)
            weights = self.param.detach().numpy().tobytes() if with_weights else b""
            current = self.version
        self._durable_up_to(version)
        return version, current, replayed, weights

    def _durable_up_to(self, version):
        with self.commit_lock:
            if self.durable >= version:
                return
            # Everything applied so far goes in this one transaction.
            with self.apply_lock:
                state = self.opt.state.get(self.param, {})
                snapshot = (
                    self.version,
                    float(state["step"]) if state else 0.0,
                    self.param.detach().numpy().tobytes(),
                    state["exp_avg"].numpy().tobytes() if state else b"",
                    state["exp_avg_sq"].numpy().tobytes() if state else b"",
                )
                records, self.unwritten = self.unwritten, []
            db = self.db
            db.execute("BEGIN")
            try:
                db.execute(
                    "INSERT INTO state (id, version, step, weights, exp_avg, exp_avg_sq) VALUES (0, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET version = excluded.version, step = excluded.step,"
                    " weights = excluded.weights, exp_avg = excluded.exp_avg, exp_avg_sq = excluded.exp_avg_sq",
                    snapshot,
                )
                if records:
                    db.executemany("INSERT OR REPLACE INTO ledger (key, body_hash, version) VALUES (?, ?, ?)", records)
                    db.execute("DELETE FROM ledger WHERE version <= ?", (snapshot[0] - LEDGER_KEEP,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                with self.apply_lock:
                    self.unwritten = records + self.unwritten
                raise
            self.durable = snapshot[0]
            self.writes += 1


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # The listen backlog, set before the socket listens: the default 5 drops connections when the
    # load generator opens its 32 at once (a dropped SYN is retried a second later).
    request_queue_size = 128


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the load generator reuses its sockets
    disable_nagle_algorithm = True
    server_version = "peer"
    sys_version = ""

    def log_message(self, *args):
        pass

    def _send(self, status, body, content_type, headers=()):
        head = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}", f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
        head.extend(f"{k}: {v}" for k, v in headers)
        # One write: the head and the body in one segment.
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)

    def _json(self, status, value, headers=()):
        self._send(status, json.dumps(value).encode(), "application/json", headers)

    def _problem(self, p):
        body = {"type": f"/problems/{p.kind}", "title": p.kind.replace("-", " "), "status": p.status, "detail": p.detail}
        self._send(p.status, json.dumps(body).encode(), "application/problem+json")

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        try:
            if self.path == "/health":
                return self._json(200, {"status": "ok", "service": "peer"})
            m = STATUS.match(self.path)
            if not m:
                raise Problem(404, "not-found", f"no route {self.path}")
            shard = self._shard(m.group(1))
            with shard.apply_lock:
                status = {"version": shard.version, "pushes": shard.pushes, "writes": shard.writes}
            self._json(200, status)
        except Problem as p:
            self._problem(p)

    def do_POST(self):
        body = self._body()  # read first, so that a refusal leaves the connection usable
        try:
            m = GRADIENTS.match(self.path.split("?", 1)[0])
            if not m:
                raise Problem(404, "not-found", f"no route {self.path}")
            shard = self._shard(m.group(1))
            if len(body) != 4 * shard.length:
                raise Problem(400, "wrong-length", f"the gradient has {len(body)} bytes; this shard takes {shard.length} float32 values ({4 * shard.length} bytes)")
            key = self.headers.get("Idempotency-Key")
            if key is not None and not 1 <= len(key) <= 255:
                raise Problem(400, "invalid-request", "an Idempotency-Key has 1 to 255 characters")
            minimal = "return=minimal" in (self.headers.get("Prefer") or "")
            version, current, replayed, weights = shard.push(body, key, not minimal)
            headers = [("X-Push-Version", version), ("X-Shard-Version", current), ("ETag", f'"{current}"')]
            if replayed:
                headers.append(("Idempotent-Replayed", "true"))
            if minimal:
                headers.append(("Preference-Applied", "return=minimal"))
                self._json(200, {"version": version, "applied": not replayed, "replayed": replayed}, headers)
            else:
                self._send(200, weights, "application/octet-stream", headers)
        except Problem as p:
            self._problem(p)

    def _shard(self, name):
        server = self.server
        if self.headers.get("Authorization") != f"Bearer {server.token}":
            raise Problem(401, "unauthorized", "send Authorization: Bearer <the peer's --token>")
        if name != server.shard_name:
            raise Problem(404, "shard-not-found", f"this peer serves the shard {server.shard_name!r} only")
        return server.shard


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--shard", default="peer")
    parser.add_argument("--length", type=int, default=1024)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--token", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    server = Server(("127.0.0.1", args.port), Handler)
    server.shard_name, server.token = args.shard, args.token
    server.shard = Shard(args.db, args.length, args.lr)
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
