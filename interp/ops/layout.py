"""Lowerings: PAD, PADV2, CONCATENATION, PACK, TRANSPOSE, STRIDED_SLICE, SPACE_TO_BATCH_ND,
BATCH_TO_SPACE_ND.

All of them only move elements, so the C kernels take an element size and serve every dtype.
Shapes, masks and index arithmetic are resolved here; C gets plain starts, counts and strides.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import ModelError
from ..graph import Operator, Tensor
from ..plan import PlanBuilder, register
from .common import need, unsupported

QK_OP_PAD = 80
QK_OP_CONCATENATION = 81
QK_OP_TRANSPOSE = 82
QK_OP_STRIDED_SLICE = 83
QK_OP_SPACE_TO_BATCH_ND = 84
QK_OP_BATCH_TO_SPACE_ND = 85

MAX_DIMS = 6  # the C kernels' limit (QK__LAYOUT_MAX_DIMS)
ELEMENT_TYPES = {np.dtype(d) for d in (np.int8, np.uint8, np.int16, np.int32, np.int64,
                                       np.float32, np.bool_)}


def _element_type(op: Operator, *ts: Tensor) -> int:
    """All tensors share one supported dtype; returns its element size."""
    dt = ts[0].dtype
    for t in ts:
        if t.dtype != dt:
            raise ModelError(f"{op.describe()}: {t.describe()} must have type {dt.name}")
    if dt not in ELEMENT_TYPES:
        raise unsupported(op, f"type {dt.name}")
    return dt.itemsize


def _const_ints(op: Operator, t: Tensor | None, what: str) -> np.ndarray:
    """A constant int32/int64 index tensor as an int64 array."""
    if t is None:
        raise ModelError(f"{op.describe()}: missing {what} tensor")
    if t.dtype not in (np.dtype(np.int32), np.dtype(np.int64)):
        raise ModelError(f"{op.describe()}: {what} {t.describe()} must be int32 or int64")
    if t.data is None:
        raise unsupported(op, f"non-constant {what} tensor")
    return np.asarray(t.data, np.int64).reshape(t.shape)


def _ndims(op: Operator, t: Tensor, lo: int = 1) -> int:
    n = len(t.shape)
    if n > MAX_DIMS:
        raise unsupported(op, f"{n}-D tensors (at most {MAX_DIMS})")
    if n < lo:
        raise unsupported(op, f"{n}-D tensors")
    return n


def _pad6(values: Sequence[int], fill: int = 0) -> list[int]:
    return [int(v) for v in values] + [fill] * (MAX_DIMS - len(values))


def _check_shape(op: Operator, out: Tensor, shape: Sequence[int]) -> None:
    if tuple(out.shape) != tuple(int(d) for d in shape):
        raise ModelError(f"{op.describe()}: output shape {list(out.shape)} should be {list(shape)}")


def _zero_element(t: Tensor) -> np.ndarray:
    """The value a 'zero' pad takes in TFLM: the zero point for int8/uint8, else 0."""
    v = t.zero_point if t.dtype in (np.dtype(np.int8), np.dtype(np.uint8)) else 0
    return np.array([v], t.dtype)


# -- PAD -----------------------------------------------------------------------------------
@register("PAD", "PADV2")
def lower_pad(op: Operator, pb: PlanBuilder) -> None:
    need(op, 2)
    x, paddings, out = op.inputs[0], op.inputs[1], op.outputs[0]
    assert x is not None
    value_t = op.inputs[2] if len(op.inputs) > 2 else None
    if op.name == "PADV2" and value_t is None:
        raise ModelError(f"{op.describe()}: PADV2 needs a constant_values input")
    esize = _element_type(op, x, out)
    nd = _ndims(op, x)
    pads = _const_ints(op, paddings, "paddings")
    if pads.shape != (nd, 2):
        raise ModelError(f"{op.describe()}: paddings shape {list(pads.shape)} should be [{nd}, 2]")
    if (pads < 0).any():
        raise unsupported(op, "negative paddings")
    _check_shape(op, out, [d + int(a) + int(b) for d, (a, b) in zip(x.shape, pads)])
    if value_t is not None:
        if value_t.dtype != x.dtype or value_t.size != 1:
            raise ModelError(f"{op.describe()}: constant_values must be one {x.dtype.name} element")
        if x.dtype == np.int8 and (value_t.quant is None or out.quant is None or
                                   value_t.zero_point != out.zero_point or
                                   np.float32(value_t.scale) != np.float32(out.scale)):
            raise unsupported(op, "constant_values quantized differently from the output")
        value = pb.tensor(value_t)
    else:
        value = pb.const(_zero_element(out), "pad_value")
    pb.emit(QK_OP_PAD, [pb.tensor(x), pb.tensor(out), value, esize, nd, *_pad6(x.shape),
                        *_pad6(pads[:, 0]), *_pad6(pads[:, 1])])


# -- CONCATENATION / PACK -----------------------------------------------------------------------
def _emit_concat(op: Operator, pb: PlanBuilder, ins: list[Tensor], out: Tensor, axis: int,
                 slab_shape: Sequence[int], axis_dims: list[int]) -> None:
    """Inputs are [outer, axis_dims[k], inner] with outer/inner from slab_shape around `axis`."""
    esize = _element_type(op, *ins, out)
    outer = int(np.prod(slab_shape[:axis], dtype=np.int64))
    inner = int(np.prod(slab_shape[axis + 1:], dtype=np.int64))
    args = [pb.tensor(out), esize, outer, inner, sum(axis_dims), len(ins)]
    for t, a in zip(ins, axis_dims):
        args += [pb.tensor(t), a]
    pb.emit(QK_OP_CONCATENATION, args)


@register("CONCATENATION")
def lower_concatenation(op: Operator, pb: PlanBuilder) -> None:
    if not op.inputs or any(t is None for t in op.inputs) or len(op.outputs) != 1:
        raise ModelError(f"{op.describe()}: expected inputs and one output")
    ins = [t for t in op.inputs if t is not None]
    out = op.outputs[0]
    if op.options.get("fused_activation_function", 0) != 0:
        raise unsupported(op, "fused activation (TFLM requires NONE)")
    nd = _ndims(op, out)
    axis = int(op.options.get("axis", 0))
    axis = axis + nd if axis < 0 else axis
    if not 0 <= axis < nd:
        raise ModelError(f"{op.describe()}: axis {op.options.get('axis')} out of range")
    for t in ins:
        if len(t.shape) != nd or any(a != b for i, (a, b) in enumerate(zip(t.shape, out.shape))
                                     if i != axis):
            raise ModelError(f"{op.describe()}: {t.describe()} does not match the output shape")
    axis_dims = [int(t.shape[axis]) for t in ins]
    _check_shape(op, out, [*out.shape[:axis], sum(axis_dims), *out.shape[axis + 1:]])
    # TFLM never requantizes: its Prepare rejects int8 inputs quantized unlike the output (LiteRT
    # would requantize them), and copies every other type unchanged, int16 included.
    if out.dtype == np.int8:
        for t in ins:
            if (t.quant is None or out.quant is None or t.zero_point != out.zero_point
                    or np.float32(t.scale) != np.float32(out.scale)):
                raise unsupported(op, f"int8 {t.describe()} quantized unlike the output "
                                  "(TFLM does not requantize)")
    _emit_concat(op, pb, ins, out, axis, out.shape, axis_dims)


@register("PACK")
def lower_pack(op: Operator, pb: PlanBuilder) -> None:
    if not op.inputs or any(t is None for t in op.inputs) or len(op.outputs) != 1:
        raise ModelError(f"{op.describe()}: expected inputs and one output")
    ins = [t for t in op.inputs if t is not None]
    out = op.outputs[0]
    count = int(op.options.get("values_count", len(ins)))
    if count != len(ins):
        raise ModelError(f"{op.describe()}: values_count {count} but {len(ins)} inputs")
    shape = tuple(ins[0].shape)
    for t in ins:
        if tuple(t.shape) != shape:
            raise ModelError(f"{op.describe()}: {t.describe()} differs from the first input's shape")
    nd = _ndims(op, out)
    axis = int(op.options.get("axis", 0))
    axis = axis + nd if axis < 0 else axis
    if not 0 <= axis < nd or nd != len(shape) + 1:
        raise ModelError(f"{op.describe()}: axis {op.options.get('axis')} out of range")
    _check_shape(op, out, [*shape[:axis], len(ins), *shape[axis:]])
    _emit_concat(op, pb, ins, out, axis, out.shape, [1] * len(ins))


# -- TRANSPOSE ---------------------------------------------------------------------------------
@register("TRANSPOSE")
def lower_transpose(op: Operator, pb: PlanBuilder) -> None:
    need(op, 2)
    x, out = op.inputs[0], op.outputs[0]
    assert x is not None
    esize = _element_type(op, x, out)
    nd = _ndims(op, x)
    perm = [int(p) for p in _const_ints(op, op.inputs[1], "perm").reshape(-1)]
    if sorted(perm) != list(range(nd)):
        raise ModelError(f"{op.describe()}: perm {perm} is not a permutation of {nd} axes")
    _check_shape(op, out, [x.shape[p] for p in perm])
    pb.emit(QK_OP_TRANSPOSE, [pb.tensor(x), pb.tensor(out), esize, nd, *_pad6(x.shape),
                              *_pad6(perm)])


# -- STRIDED_SLICE -------------------------------------------------------------------------------
def _clamp(v: int, lo: int, hi: int) -> int:
    return hi if v > hi else (lo if v < lo else v)


def resolve_strided_slice(shape: Sequence[int], begin: Sequence[int], end: Sequence[int],
                          strides: Sequence[int], begin_mask: int, end_mask: int,
                          shrink_mask: int) -> tuple[list[int], list[int], list[int], list[int]]:
    """TFLM's StridedSlice index logic: (start, stride, count) per input axis and the output
    shape (shrunk axes dropped). Raises ValueError where TFLM's Prepare would fail and
    NotImplementedError where TFLM would leave the output unwritten."""
    starts, counts, out_shape = [], [], []
    for ax, size in enumerate(shape):
        stride = int(strides[ax])
        if stride == 0:
            raise ValueError("stride value has to be non-zero")
        bit = 1 << ax
        s = int(begin[ax])
        s = s + size if s < 0 else s
        s = _clamp(s, 0, size) if stride > 0 else _clamp(s, -1, size - 1)
        if begin_mask & bit:
            s = 0 if stride > 0 else size - 1
        if shrink_mask & bit:
            e = s if s >= size else s + 1
        else:
            e = int(end[ax])
            e = e + size if e < 0 else e
            e = _clamp(e, 0, size) if stride > 0 else _clamp(e, -1, size - 1)
            if end_mask & bit:
                e = size if stride > 0 else -1
        n = max(0, -(-(e - s) // stride))  # ceil((e - s) / stride)
        if shrink_mask & bit:
            if stride < 0:  # TFLM iterates start..start+1 by the stride: copies nothing
                raise NotImplementedError(f"shrunk axis {ax} with a negative stride")
            if n != 1:
                raise ValueError(f"shrunk axis {ax} selects {n} elements")
        else:
            out_shape.append(n)
        starts.append(s if n > 0 else 0)
        counts.append(n)
    return starts, [int(v) for v in strides[:len(shape)]], counts, out_shape


def strided_slice_params(op: Operator) -> tuple[list[int], list[int], list[int], list[int]]:
    """Validate a STRIDED_SLICE op's options and constant indices; resolve them."""
    x = op.inputs[0]
    assert x is not None
    o = op.options
    if o.get("ellipsis_mask", 0) or o.get("new_axis_mask", 0):
        raise unsupported(op, "ellipsis_mask/new_axis_mask (TFLM ignores them)")
    if o.get("offset", False):
        raise unsupported(op, "offset=true (TFLM ignores it)")
    nd = len(x.shape)
    vecs = [_const_ints(op, t, w).reshape(-1) for t, w in
            zip(op.inputs[1:4], ("begin", "end", "strides"))]
    if any(len(v) != nd for v in vecs):
        raise ModelError(f"{op.describe()}: begin/end/strides must have {nd} entries")
    try:
        return resolve_strided_slice(x.shape, *vecs, int(o.get("begin_mask", 0)),
                                     int(o.get("end_mask", 0)), int(o.get("shrink_axis_mask", 0)))
    except ValueError as e:
        raise ModelError(f"{op.describe()}: {e}") from None
    except NotImplementedError as e:
        raise unsupported(op, str(e)) from None


@register("STRIDED_SLICE")
def lower_strided_slice(op: Operator, pb: PlanBuilder) -> None:
    need(op, 4)
    x, out = op.inputs[0], op.outputs[0]
    assert x is not None
    esize = _element_type(op, x, out)
    nd = _ndims(op, x)
    starts, strides, counts, out_shape = strided_slice_params(op)
    _check_shape(op, out, out_shape)
    pb.emit(QK_OP_STRIDED_SLICE, [pb.tensor(x), pb.tensor(out), esize, nd, *_pad6(x.shape),
                                  *_pad6(starts), *_pad6(strides, 1), *_pad6(counts)])


# -- SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND ---------------------------------------------------------
def _nhwc(op: Operator, x: Tensor, out: Tensor, block_t: Tensor | None, pads_t: Tensor | None,
          what: str) -> tuple[list[int], list[int], list[int], list[int], int, int]:
    """(in NHWC, out NHWC, block [h, w], pads/crops [top, bottom, left, right]); 3-D gets W = 1."""
    nd = len(x.shape)
    if nd not in (3, 4) or len(out.shape) != nd:
        raise unsupported(op, f"{nd}-D input (TFLM supports 3-D and 4-D)")
    m = nd - 2
    block = _const_ints(op, block_t, "block_shape").reshape(-1)
    pads = _const_ints(op, pads_t, what)
    if block.shape != (m,) or pads.shape != (m, 2):
        raise ModelError(f"{op.describe()}: block_shape/{what} must be [{m}] and [{m}, 2]")
    if (block < 1).any() or (pads < 0).any():
        raise ModelError(f"{op.describe()}: block_shape must be >= 1 and {what} >= 0")
    def ext(s: Sequence[int]) -> list[int]:
        return [int(d) for d in s] if nd == 4 else [int(s[0]), int(s[1]), 1, int(s[2])]
    bl = [int(block[0]), int(block[1]) if m == 2 else 1]
    pd = [int(pads[0, 0]), int(pads[0, 1])] + ([int(pads[1, 0]), int(pads[1, 1])] if m == 2 else [0, 0])
    return ext(x.shape), ext(out.shape), bl, pd, nd, m


@register("SPACE_TO_BATCH_ND")
def lower_space_to_batch_nd(op: Operator, pb: PlanBuilder) -> None:
    need(op, 3)
    x, out = op.inputs[0], op.outputs[0]
    assert x is not None
    esize = _element_type(op, x, out)
    xi, xo, bl, pd, _, _ = _nhwc(op, x, out, op.inputs[1], op.inputs[2], "paddings")
    hp, wp = xi[1] + pd[0] + pd[1], xi[2] + pd[2] + pd[3]
    if hp % bl[0] or wp % bl[1]:
        raise ModelError(f"{op.describe()}: padded spatial dims are not multiples of the block")
    want = [xi[0] * bl[0] * bl[1], hp // bl[0], wp // bl[1], xi[3]]
    if xo != want:
        raise ModelError(f"{op.describe()}: output shape {list(out.shape)} does not match the block")
    # TFLM pads with SpaceToBatchParams.output_offset, which its Prepare never sets (the value
    # depends on the arena); we follow LiteRT: the output zero point for int8/uint8, else 0.
    value = pb.const(_zero_element(out), "pad_value")
    pb.emit(QK_OP_SPACE_TO_BATCH_ND, [pb.tensor(x), pb.tensor(out), value, esize, xi[0], xi[1],
                                      xi[2], xi[3], xo[1], xo[2], bl[0], bl[1], pd[0], pd[2]])


@register("BATCH_TO_SPACE_ND")
def lower_batch_to_space_nd(op: Operator, pb: PlanBuilder) -> None:
    need(op, 3)
    x, out = op.inputs[0], op.outputs[0]
    assert x is not None
    esize = _element_type(op, x, out)
    xi, xo, bl, cr, _, _ = _nhwc(op, x, out, op.inputs[1], op.inputs[2], "crops")
    nb = bl[0] * bl[1]
    want = [xi[0] // nb, xi[1] * bl[0] - cr[0] - cr[1], xi[2] * bl[1] - cr[2] - cr[3], xi[3]]
    if xi[0] % nb or min(want[1:3]) < 0 or xo != want:
        raise ModelError(f"{op.describe()}: output shape {list(out.shape)} does not match the "
                         "block and crops")
    pb.emit(QK_OP_BATCH_TO_SPACE_ND, [pb.tensor(x), pb.tensor(out), esize, xi[0], xi[1], xi[2],
                                      xi[3], xo[0], xo[1], xo[2], bl[0], bl[1], cr[0], cr[2]])
