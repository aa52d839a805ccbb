"""Constant folding at load: shape-only chains (SHAPE -> STRIDED_SLICE/PACK -> RESHAPE) on static
shapes become constants, so no board ever runs them.

SHAPE of a tensor with a static shape is a constant; STRIDED_SLICE, PACK, CONCATENATION, GATHER
(on a 1-D params vector), RESHAPE, SQUEEZE and EXPAND_DIMS whose inputs are all small integer
constants are evaluated with numpy. Each folded op's output tensor gets `.data` and the op is
dropped from graph.operators; the graph is mutated in place.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .errors import ModelError, UnsupportedOperatorError
from .graph import Graph, Operator, Tensor

MAX_FOLD_ELEMENTS = 1024  # only index-sized tensors are folded
_INT_TYPES = (np.dtype(np.int32), np.dtype(np.int64))


def _small_int_const(t: Tensor | None) -> bool:
    return (t is not None and t.data is not None and not t.is_variable
            and t.dtype in _INT_TYPES and t.size <= MAX_FOLD_ELEMENTS)


def _fold_shape(op: Operator) -> np.ndarray | None:
    x = op.inputs[0] if op.inputs else None
    if x is None or any(d < 0 for d in x.shape):
        return None
    return np.array(x.shape, op.outputs[0].dtype)


def _fold_strided_slice(op: Operator) -> np.ndarray | None:
    from .ops.layout import strided_slice_params  # validates masks and indices like lowering
    x = op.inputs[0]
    assert x is not None and x.data is not None
    starts, strides, counts, out_shape = strided_slice_params(op)
    index = tuple(np.arange(s, s + c * st, st) if c else np.arange(0)
                  for s, st, c in zip(starts, strides, counts))
    data = np.asarray(x.data).reshape(x.shape)[np.ix_(*index)] if index else np.asarray(x.data)
    return data.reshape(out_shape)


def _axis(op: Operator, nd: int) -> int:
    axis = int(op.options.get("axis", 0))
    axis = axis + nd if axis < 0 else axis
    if not 0 <= axis < nd:
        raise ModelError(f"{op.describe()}: axis {op.options.get('axis')} out of range")
    return axis


def _fold_pack(op: Operator) -> np.ndarray | None:
    out = op.outputs[0]
    arrs = [np.asarray(t.data).reshape(t.shape) for t in op.inputs if t is not None]
    return np.stack(arrs, axis=_axis(op, len(out.shape)))


def _fold_concatenation(op: Operator) -> np.ndarray | None:
    if op.options.get("fused_activation_function", 0) != 0:
        return None
    out = op.outputs[0]
    arrs = [np.asarray(t.data).reshape(t.shape) for t in op.inputs if t is not None]
    return np.concatenate(arrs, axis=_axis(op, len(out.shape)))


def _fold_gather(op: Operator) -> np.ndarray | None:
    params, idx = op.inputs[0], op.inputs[1]
    assert params is not None and idx is not None
    if len(params.shape) != 1:  # 1-D params: axis and batch_dims can only mean 0
        return None
    p = np.asarray(params.data).reshape(-1)
    i = np.asarray(idx.data, np.int64).reshape(idx.shape)
    if (i < 0).any() or (i >= len(p)).any():
        raise ModelError(f"{op.describe()}: gather index out of range")
    return p[i]


def _fold_reshape(op: Operator) -> np.ndarray | None:
    x = op.inputs[0]
    assert x is not None
    return np.asarray(x.data).reshape(-1)


FOLDERS: dict[str, Callable[[Operator], np.ndarray | None]] = {
    "STRIDED_SLICE": _fold_strided_slice, "PACK": _fold_pack,
    "CONCATENATION": _fold_concatenation, "GATHER": _fold_gather, "RESHAPE": _fold_reshape,
    "SQUEEZE": _fold_reshape, "EXPAND_DIMS": _fold_reshape,
}
# Inputs that must be constant for each op (the rest, e.g. RESHAPE's shape, may be anything).
_CONST_INPUTS = {"STRIDED_SLICE": 4, "GATHER": 2, "RESHAPE": 1, "SQUEEZE": 1, "EXPAND_DIMS": 1}


def _try_fold(op: Operator) -> np.ndarray | None:
    if len(op.outputs) != 1:
        return None
    out = op.outputs[0]
    if out.dtype not in _INT_TYPES or out.size > MAX_FOLD_ELEMENTS or out.is_variable:
        return None
    if op.name == "SHAPE":
        value = _fold_shape(op)
    elif op.name in FOLDERS:
        n = _CONST_INPUTS.get(op.name, len(op.inputs))
        ins = op.inputs[:n]
        if not ins or len(op.inputs) < n or not all(_small_int_const(t) for t in ins):
            return None
        try:
            value = FOLDERS[op.name](op)
        except UnsupportedOperatorError:  # left in the graph: lowering reports it
            return None
        except ModelError:
            raise
        except (ValueError, IndexError) as e:  # numpy refuses inconsistent shapes or axes
            raise ModelError(f"{op.describe()}: inconsistent constant inputs: {e}") from None
    else:
        return None
    if value is None:
        return None
    if value.size != out.size:
        raise ModelError(f"{op.describe()}: folded value has {value.size} elements, "
                         f"{out.describe()} holds {out.size}")
    value = np.ascontiguousarray(value.astype(out.dtype).reshape(out.shape))
    value.flags.writeable = False
    return value


def fold_constants(graph: Graph) -> Graph:
    """Fold shape-only ops into constants, in graph order (producers come before consumers)."""
    kept = []
    for op in graph.operators:
        value = _try_fold(op)
        if value is None:
            kept.append(op)
        else:
            op.outputs[0].data = value
    graph.operators = kept
    return graph
