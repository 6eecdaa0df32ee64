"""Calls about the service itself: liveness and the catalogue of rules (no token needed)."""

from __future__ import annotations

from typing import Any, Dict

from .context import Calls


class ServiceCalls(Calls):
    def health(self) -> Dict[str, Any]:
        return self._ctx.json("getHealth", idempotent=True)

    def rules(self) -> Dict[str, Any]:
        """Update rules with their default hyperparameters, and schedule types."""
        return self._ctx.json("listRules", idempotent=True)
