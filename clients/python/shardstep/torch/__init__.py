"""shardstep for PyTorch (torch and numpy needed): `RemoteOptimizer`, a torch.optim.Optimizer whose step happens
on the server, and `state` (a shard's state file to and from torch.optim state dicts)."""

from .optimizer import RemoteOptimizer

__all__ = ["RemoteOptimizer"]
