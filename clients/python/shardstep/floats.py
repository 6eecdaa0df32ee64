"""float32 vectors on the wire: raw little-endian bytes. In: an `array('f')`, a numpy array, a torch tensor
(on the CPU), any buffer of float32 bytes, or a sequence of numbers. Out: `array('f')` (viewed by numpy with
`numpy.frombuffer(values, numpy.float32)` when wanted)."""

from __future__ import annotations

import sys
from array import array
from typing import Any

_LITTLE = sys.byteorder == "little"


def float32_bytes(values: Any) -> bytes:
    """The little-endian float32 bytes of `values`."""
    if isinstance(values, (bytes, bytearray, memoryview)):
        view = memoryview(values).cast("B")
        if view.nbytes % 4:
            raise ValueError(f"float32 bytes come in fours; got {view.nbytes}")
        return view.tobytes() if isinstance(values, memoryview) else bytes(values)
    if hasattr(values, "detach"):  # a torch tensor
        values = values.detach().cpu().reshape(-1).numpy()
    if hasattr(values, "dtype") and hasattr(values, "astype"):  # a numpy array
        return values.astype("<f4", copy=False).tobytes()
    packed = values if isinstance(values, array) and values.typecode == "f" else array("f", values)
    if _LITTLE:
        return packed.tobytes()
    swapped = array("f", packed)
    swapped.byteswap()
    return swapped.tobytes()


def floats_of(data: Any) -> array:
    """The float32 values of little-endian bytes."""
    view = memoryview(data).cast("B")
    if view.nbytes % 4:
        raise ValueError(f"a float32 body has a multiple of 4 bytes; got {view.nbytes}")
    values = array("f")
    values.frombytes(view)
    if not _LITTLE:
        values.byteswap()
    return values
