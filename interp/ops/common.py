"""Helpers shared by the op lowerings: argument checks and the unsupported-op error."""
from __future__ import annotations

import numpy as np

from ..errors import ModelError, UnsupportedOperatorError
from ..graph import Operator, Tensor


def unsupported(op: Operator, why: str) -> UnsupportedOperatorError:
    return UnsupportedOperatorError([f"{op.describe()}: {why}"])


def need(op: Operator, n_in: int, n_out: int = 1) -> None:
    """The op has at least n_in inputs (the first n_in present) and exactly n_out outputs."""
    if len(op.inputs) < n_in or any(t is None for t in op.inputs[:n_in]) or len(op.outputs) != n_out:
        raise ModelError(f"{op.describe()}: expected {n_in} inputs and {n_out} outputs")


def quantized(op: Operator, t: Tensor, *dtypes: type) -> None:
    """t is one of dtypes and has quantization parameters."""
    if t.dtype not in [np.dtype(d) for d in dtypes]:
        raise unsupported(op, f"{t.describe()} has type {t.dtype.name}")
    if t.quant is None:
        raise ModelError(f"{op.describe()}: {t.describe()} has no quantization parameters")
