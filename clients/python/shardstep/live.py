"""Live sessions (docs/live.md): the single-use tickets that open them and the sessions' URLs.

A live session is a WebSocket speaking binary frames (docs/live.md, asyncapi.yaml). The standard library has
no WebSocket client, so this package does not speak the frames: it mints the ticket (a token never goes in a
URL) and builds the URL to open with the WebSocket library of your choice, or use the TypeScript client's
`live()`.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from .context import Calls
from .routes import ROUTES


class LiveCalls(Calls):
    def create_live_ticket(self, shard: str) -> Dict[str, Any]:
        """A ticket good once, for 60 s, opening a session on `shard` with this client's token's subject and scopes."""
        return self._ctx.json("createLiveTicket", idempotent=True, path={"shard": shard})

    def create_model_live_tickets(self, model: str) -> List[Dict[str, Any]]:
        """One ticket per shard of the model (each with its shard's `index`), for the model's per-shard sessions."""
        return self._ctx.json("createModelLiveTickets", idempotent=True, path={"model": model})["tickets"]

    def live_url(self, shard: str, ticket: Optional[str] = None) -> str:
        """The ws(s):// URL of the shard's session; with `ticket`, it opens without an Authorization header."""
        return self._ctx.transport.websocket_url(ROUTES["openLiveSession"].target({"shard": shard}, {"ticket": ticket}))

    def model_live_url(self, model: str, index: int, ticket: Optional[str] = None) -> str:
        """The ws(s):// URL of the session on the model's shard `index`."""
        return self._ctx.transport.websocket_url(ROUTES["openModelLiveSession"].target({"model": model, "index": index}, {"ticket": ticket}))
