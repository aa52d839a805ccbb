"""Constant folding of shape-only chains (interp/fold.py)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import interp
from interp.fold import fold_constants
from interp.loader import load
from interp.plan import lower
from interp.writer import ModelWriter
from oracles import assert_matches_tflm

SHAPE_OPS = {"SHAPE", "STRIDED_SLICE", "PACK", "GATHER", "CONCATENATION"}


def _flatten_model(shape: tuple[int, ...], units: int, seed: int) -> bytes:
    """The Flatten idiom converters emit: x -> SHAPE -> STRIDED_SLICE (batch) -> PACK(batch, -1)
    -> RESHAPE(x, that) -> FULLY_CONNECTED."""
    rng = np.random.default_rng(seed)
    q = {"scale": 0.05, "zero_point": -3}
    w = ModelWriter()
    x = w.tensor(shape, np.int8, **q)
    shp = w.tensor((len(shape),), np.int32)
    w.op("SHAPE", [x], [shp], {"out_type": 2})
    batch = w.tensor((), np.int32)
    begin, end, stride = (w.tensor((1,), np.int32, data=[v]) for v in (0, 1, 1))
    w.op("STRIDED_SLICE", [shp, begin, end, stride], [batch], {"shrink_axis_mask": 1}, version=2)
    new_shape = w.tensor((2,), np.int32)
    minus1 = w.tensor((), np.int32, data=-1)
    w.op("PACK", [batch, minus1], [new_shape], {"values_count": 2, "axis": 0})
    depth = int(np.prod(shape[1:]))
    flat = w.tensor((shape[0], depth), np.int8, **q)
    w.op("RESHAPE", [x, new_shape], [flat])
    wt = w.tensor((units, depth), np.int8, data=rng.integers(-127, 128, (units, depth)),
                  scale=0.02, zero_point=0)
    bias = w.tensor((units,), np.int32, data=rng.integers(-1000, 1000, units), scale=0.001)
    y = w.tensor((shape[0], units), np.int8, scale=0.1, zero_point=4)
    w.op("FULLY_CONNECTED", [flat, wt, bias], [y])
    w.inputs, w.outputs = [x], [y]
    return w.to_bytes()


@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple),
       units=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_flatten_idiom_folds_and_matches_tflm(shape, units, seed) -> None:
    model = _flatten_model(shape, units, seed)
    plan = lower(load(model))
    assert [op.name for op in plan.ops] == ["FULLY_CONNECTED"]
    assert not SHAPE_OPS & {op.name for op in plan.ops}
    x = np.random.default_rng(seed).integers(-128, 128, shape, endpoint=False).astype(np.int8)
    # LiteRT's reference FULLY_CONNECTED rounds its requantization once (TFLM twice): TFLM only.
    assert_matches_tflm(model, [x], litert=False)


def test_fold_mutates_graph_in_place() -> None:
    g = load(_flatten_model((1, 2, 3, 4), 3, 0))
    ops_before = len(g.operators)
    out = fold_constants(g)
    assert out is g
    assert [op.name for op in g.operators] == ["RESHAPE", "FULLY_CONNECTED"]
    assert len(g.operators) == ops_before - 3
    reshape = g.operators[0]
    shape_t = reshape.inputs[1]
    assert shape_t is not None and shape_t.data is not None
    np.testing.assert_array_equal(shape_t.data, [1, -1])


def test_fold_gather_concatenation_and_shape_output() -> None:
    """SHAPE -> GATHER([2, 1]) -> CONCATENATION with a constant: folded down to a constant that
    is itself a graph output (it needs no op to produce it)."""
    w = ModelWriter()
    x = w.tensor((2, 3, 5), np.int8, scale=0.5, zero_point=0)
    y = w.tensor((2, 3, 5), np.int8, scale=0.5, zero_point=0)
    w.op("RELU", [x], [y])
    shp = w.tensor((3,), np.int32)
    w.op("SHAPE", [x], [shp])
    idx = w.tensor((2,), np.int32, data=[2, 1])
    g = w.tensor((2,), np.int32)
    w.op("GATHER", [shp, idx], [g])
    extra = w.tensor((1,), np.int32, data=[7])
    cat = w.tensor((3,), np.int32)
    w.op("CONCATENATION", [g, extra], [cat], {"axis": 0})
    w.inputs, w.outputs = [x], [y, cat]
    graph = load(w.to_bytes())
    fold_constants(graph)
    assert [op.name for op in graph.operators] == ["RELU"]
    np.testing.assert_array_equal(graph.tensors[cat].data, [5, 3, 7])


def test_fold_leaves_runtime_values_alone() -> None:
    """A STRIDED_SLICE of activations is not folded."""
    w = ModelWriter()
    x = w.tensor((4,), np.int32)
    y = w.tensor((2,), np.int32)
    c = [w.tensor((1,), np.int32, data=[v]) for v in (1, 3, 1)]
    w.op("STRIDED_SLICE", [x, *c], [y])
    w.inputs, w.outputs = [x], [y]
    graph = load(w.to_bytes())
    fold_constants(graph)
    assert [op.name for op in graph.operators] == ["STRIDED_SLICE"]
    it = interp.Interpreter(model_content=w.to_bytes())
    assert it.run([np.array([5, 6, 7, 8], np.int32)])[it.get_output_details()[0]["name"]].tolist() == [6, 7]


def test_fold_rejects_bad_gather_index() -> None:
    w = ModelWriter()
    x = w.tensor((2, 3), np.int8, scale=0.5, zero_point=0)
    y = w.tensor((2, 3), np.int8, scale=0.5, zero_point=0)
    w.op("RELU", [x], [y])
    shp = w.tensor((2,), np.int32)
    w.op("SHAPE", [x], [shp])
    g = w.tensor((1,), np.int32)
    w.op("GATHER", [shp, w.tensor((1,), np.int32, data=[5])], [g])
    w.inputs, w.outputs = [x], [y, g]
    with pytest.raises(interp.ModelError):
        interp.Interpreter(model_content=w.to_bytes())


def test_inconsistent_constant_inputs_are_a_model_error() -> None:
    """CONCATENATION of a 1-D and a 0-D constant (found by the fuzzer): ModelError, not numpy's."""
    w = ModelWriter()
    a = w.tensor((2,), np.int32, data=[1, 2])
    b = w.tensor((), np.int32, data=3)
    y = w.tensor((3,), np.int32)
    w.op("CONCATENATION", [a, b], [y], {"axis": 0})
    w.inputs, w.outputs = [], [y]
    with pytest.raises(interp.ModelError, match="CONCATENATION"):
        interp.Interpreter(model_content=w.to_bytes())
