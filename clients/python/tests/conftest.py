"""Fixtures of the client's tests. Tests that need a server take `api` (or `server`): the URL and a token come from
SHARDSTEP_URL and SHARDSTEP_TOKEN, which test/e2e/python-client.e2e.test.ts sets for its `wrangler dev`; without
them those tests are skipped (that test counts skips as failures). Every random test seeds its generator and
prints the seed."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass

# Before torch is imported: PyTorch without fused multiply-add, as the project's goldens (docs/rules.md).
os.environ.setdefault("ATEN_CPU_CAPABILITY", "default")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import pytest  # noqa: E402

from shardstep import Shardstep  # noqa: E402


@dataclass(frozen=True)
class Server:
    url: str
    token: str


@pytest.fixture(scope="session")
def server() -> Server:
    url, token = os.environ.get("SHARDSTEP_URL"), os.environ.get("SHARDSTEP_TOKEN")
    if not url or not token:
        pytest.skip("needs a server: SHARDSTEP_URL and SHARDSTEP_TOKEN (test/e2e/python-client.e2e.test.ts sets them)")
    return Server(url, token)


@pytest.fixture
def api(server: Server) -> Shardstep:
    with Shardstep(server.url, server.token) as client:
        yield client


@pytest.fixture
def name(request: pytest.FixtureRequest) -> str:
    """A shard or model name of this test alone (the process id keeps runs against one server apart)."""
    return f"py.{re.sub(r'[^A-Za-z0-9]+', '-', request.node.name).strip('-')[:80]}.{os.getpid()}"
