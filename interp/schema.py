"""The parts of TensorFlow Lite's flatbuffer schema (schema.fbs) that interp reads and writes.

Field slots are the schema's field order; `CheckedTable` wraps the `flatbuffers` runtime's
`Table` and verifies every offset, vtable and vector length against the buffer before use,
so a hostile file raises ModelError instead of reading out of bounds.
"""
from __future__ import annotations

import struct
from typing import Any, Callable

import numpy as np
from flatbuffers import number_types as N
from flatbuffers.table import Table

from .errors import ModelError

# BuiltinOperator codes 0..N (schema order); "" marks a gap.
BUILTIN_OPS = (
    "ADD AVERAGE_POOL_2D CONCATENATION CONV_2D DEPTHWISE_CONV_2D DEPTH_TO_SPACE DEQUANTIZE "
    "EMBEDDING_LOOKUP FLOOR FULLY_CONNECTED HASHTABLE_LOOKUP L2_NORMALIZATION L2_POOL_2D "
    "LOCAL_RESPONSE_NORMALIZATION LOGISTIC LSH_PROJECTION LSTM MAX_POOL_2D MUL RELU RELU_N1_TO_1 "
    "RELU6 RESHAPE RESIZE_BILINEAR RNN SOFTMAX SPACE_TO_DEPTH SVDF TANH CONCAT_EMBEDDINGS SKIP_GRAM "
    "CALL CUSTOM EMBEDDING_LOOKUP_SPARSE PAD UNIDIRECTIONAL_SEQUENCE_RNN GATHER BATCH_TO_SPACE_ND "
    "SPACE_TO_BATCH_ND TRANSPOSE MEAN SUB DIV SQUEEZE UNIDIRECTIONAL_SEQUENCE_LSTM STRIDED_SLICE "
    "BIDIRECTIONAL_SEQUENCE_RNN EXP TOPK_V2 SPLIT LOG_SOFTMAX DELEGATE BIDIRECTIONAL_SEQUENCE_LSTM "
    "CAST PRELU MAXIMUM ARG_MAX MINIMUM LESS NEG PADV2 GREATER GREATER_EQUAL LESS_EQUAL SELECT SLICE "
    "SIN TRANSPOSE_CONV SPARSE_TO_DENSE TILE EXPAND_DIMS EQUAL NOT_EQUAL LOG SUM SQRT RSQRT SHAPE POW "
    "ARG_MIN FAKE_QUANT REDUCE_PROD REDUCE_MAX PACK LOGICAL_OR ONE_HOT LOGICAL_AND LOGICAL_NOT UNPACK "
    "REDUCE_MIN FLOOR_DIV REDUCE_ANY SQUARE ZEROS_LIKE FILL FLOOR_MOD RANGE RESIZE_NEAREST_NEIGHBOR "
    "LEAKY_RELU SQUARED_DIFFERENCE MIRROR_PAD ABS SPLIT_V UNIQUE CEIL REVERSE_V2 ADD_N GATHER_ND COS "
    "WHERE RANK ELU REVERSE_SEQUENCE MATRIX_DIAG QUANTIZE MATRIX_SET_DIAG ROUND HARD_SWISH IF WHILE "
    "NON_MAX_SUPPRESSION_V4 NON_MAX_SUPPRESSION_V5 SCATTER_ND SELECT_V2 DENSIFY SEGMENT_SUM "
    "BATCH_MATMUL PLACEHOLDER_FOR_GREATER_OP_CODES CUMSUM CALL_ONCE BROADCAST_TO RFFT2D CONV_3D IMAG "
    "REAL COMPLEX_ABS HASHTABLE HASHTABLE_FIND HASHTABLE_IMPORT HASHTABLE_SIZE REDUCE_ALL "
    "CONV_3D_TRANSPOSE VAR_HANDLE READ_VARIABLE ASSIGN_VARIABLE BROADCAST_ARGS RANDOM_STANDARD_NORMAL "
    "BUCKETIZE RANDOM_UNIFORM MULTINOMIAL GELU DYNAMIC_UPDATE_SLICE RELU_0_TO_1"
).split()
OP_CODES = {name: code for code, name in enumerate(BUILTIN_OPS)}
CUSTOM = OP_CODES["CUSTOM"]


def op_name(code: int) -> str:
    return BUILTIN_OPS[code] if 0 <= code < len(BUILTIN_OPS) else f"BUILTIN_{code}"


# TensorType -> numpy dtype (None: a type interp never stores).
TENSOR_TYPES: dict[int, tuple[str, np.dtype[Any] | None]] = {
    0: ("FLOAT32", np.dtype(np.float32)), 1: ("FLOAT16", np.dtype(np.float16)),
    2: ("INT32", np.dtype(np.int32)), 3: ("UINT8", np.dtype(np.uint8)),
    4: ("INT64", np.dtype(np.int64)), 5: ("STRING", None), 6: ("BOOL", np.dtype(np.bool_)),
    7: ("INT16", np.dtype(np.int16)), 8: ("COMPLEX64", np.dtype(np.complex64)),
    9: ("INT8", np.dtype(np.int8)), 10: ("FLOAT64", np.dtype(np.float64)),
    11: ("COMPLEX128", None), 12: ("UINT64", np.dtype(np.uint64)), 13: ("RESOURCE", None),
    14: ("VARIANT", None), 15: ("UINT32", np.dtype(np.uint32)), 16: ("UINT16", np.dtype(np.uint16)),
    17: ("INT4", None),
}
DTYPE_TO_TYPE = {dt: code for code, (_, dt) in TENSOR_TYPES.items() if dt is not None}

ACTIVATIONS = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT")
PADDINGS = ("SAME", "VALID")

# Builtin options: union type code, table name, fields as (name, slot, kind, default).
# kind: flatbuffers scalar name, or "ivec" for a [int32] vector.
_F = tuple[str, int, str, Any]
OPTIONS: dict[int, tuple[str, tuple[_F, ...]]] = {
    1: ("Conv2DOptions", (("padding", 0, "Int8", 0), ("stride_w", 1, "Int32", 0),
                          ("stride_h", 2, "Int32", 0), ("fused_activation_function", 3, "Int8", 0),
                          ("dilation_w_factor", 4, "Int32", 1), ("dilation_h_factor", 5, "Int32", 1))),
    2: ("DepthwiseConv2DOptions", (("padding", 0, "Int8", 0), ("stride_w", 1, "Int32", 0),
                                   ("stride_h", 2, "Int32", 0), ("depth_multiplier", 3, "Int32", 0),
                                   ("fused_activation_function", 4, "Int8", 0),
                                   ("dilation_w_factor", 5, "Int32", 1),
                                   ("dilation_h_factor", 6, "Int32", 1))),
    5: ("Pool2DOptions", (("padding", 0, "Int8", 0), ("stride_w", 1, "Int32", 0),
                          ("stride_h", 2, "Int32", 0), ("filter_width", 3, "Int32", 0),
                          ("filter_height", 4, "Int32", 0), ("fused_activation_function", 5, "Int8", 0))),
    6: ("SVDFOptions", (("rank", 0, "Int32", 0), ("fused_activation_function", 1, "Int8", 0),
                        ("asymmetric_quantize_inputs", 2, "Bool", False))),
    8: ("FullyConnectedOptions", (("fused_activation_function", 0, "Int8", 0),
                                  ("weights_format", 1, "Int8", 0), ("keep_num_dims", 2, "Bool", False),
                                  ("asymmetric_quantize_inputs", 3, "Bool", False))),
    9: ("SoftmaxOptions", (("beta", 0, "Float32", 0.0),)),
    10: ("ConcatenationOptions", (("axis", 0, "Int32", 0), ("fused_activation_function", 1, "Int8", 0))),
    11: ("AddOptions", (("fused_activation_function", 0, "Int8", 0), ("pot_scale_int16", 1, "Bool", True))),
    17: ("ReshapeOptions", (("new_shape", 0, "ivec", None),)),
    21: ("MulOptions", (("fused_activation_function", 0, "Int8", 0),)),
    22: ("PadOptions", ()),
    24: ("BatchToSpaceNDOptions", ()),
    25: ("SpaceToBatchNDOptions", ()),
    26: ("TransposeOptions", ()),
    27: ("ReducerOptions", (("keep_dims", 0, "Bool", False),)),
    28: ("SubOptions", (("fused_activation_function", 0, "Int8", 0), ("pot_scale_int16", 1, "Bool", True))),
    29: ("DivOptions", (("fused_activation_function", 0, "Int8", 0),)),
    30: ("SqueezeOptions", (("squeeze_dims", 0, "ivec", None),)),
    32: ("StridedSliceOptions", (("begin_mask", 0, "Int32", 0), ("end_mask", 1, "Int32", 0),
                                 ("ellipsis_mask", 2, "Int32", 0), ("new_axis_mask", 3, "Int32", 0),
                                 ("shrink_axis_mask", 4, "Int32", 0), ("offset", 5, "Bool", False))),
    37: ("CastOptions", (("in_data_type", 0, "Int8", 0), ("out_data_type", 1, "Int8", 0))),
    38: ("DequantizeOptions", ()),
    39: ("MaximumMinimumOptions", ()),
    49: ("TransposeConvOptions", (("padding", 0, "Int8", 0), ("stride_w", 1, "Int32", 0),
                                  ("stride_h", 2, "Int32", 0), ("fused_activation_function", 3, "Int8", 0))),
    52: ("ExpandDimsOptions", ()),
    55: ("ShapeOptions", (("out_type", 0, "Int8", 0),)),
    59: ("PackOptions", (("values_count", 0, "Int32", 0), ("axis", 1, "Int32", 0))),
    71: ("UnidirectionalSequenceLSTMOptions", (("fused_activation_function", 0, "Int8", 0),
                                               ("cell_clip", 1, "Float32", 0.0),
                                               ("proj_clip", 2, "Float32", 0.0),
                                               ("time_major", 3, "Bool", False),
                                               ("asymmetric_quantize_inputs", 4, "Bool", False),
                                               ("diagonal_recurrent_tensors", 5, "Bool", False))),
    75: ("LeakyReluOptions", (("alpha", 0, "Float32", 0.0),)),
    89: ("QuantizeOptions", ()),
    91: ("HardSwishOptions", ()),
}
OPTIONS_BY_NAME = {name: (code, fields) for code, (name, fields) in OPTIONS.items()}

_SCALARS: dict[str, Any] = {
    "Bool": N.BoolFlags, "Int8": N.Int8Flags, "Uint8": N.Uint8Flags, "Int16": N.Int16Flags,
    "Int32": N.Int32Flags, "Uint32": N.Uint32Flags, "Int64": N.Int64Flags, "Uint64": N.Uint64Flags,
    "Float32": N.Float32Flags, "Float64": N.Float64Flags,
}


class CheckedTable:
    """A flatbuffer table whose every read is bounds-checked first.

    `where` names the table in error messages ("tensor 3", "operator 7 options").
    """

    __slots__ = ("_buf", "_tab", "_vt", "_vt_len", "where")

    def __init__(self, buf: bytes, pos: int, where: str) -> None:
        self._buf = buf
        self.where = where
        _need(buf, pos, 4, where)
        vt = pos - struct.unpack_from("<i", buf, pos)[0]
        _need(buf, vt, 4, where + " vtable")
        vt_len, tab_len = struct.unpack_from("<HH", buf, vt)
        if vt_len < 4 or vt_len % 2 or vt + vt_len > len(buf) or pos + tab_len > len(buf):
            raise ModelError(f"{where}: corrupt vtable")
        self._tab = Table(buf, pos)
        self._vt, self._vt_len = vt, vt_len

    def _field(self, slot: int, size: int) -> int:
        voff = 4 + 2 * slot
        if voff + 2 > self._vt_len:
            return 0
        off = struct.unpack_from("<H", self._buf, self._vt + voff)[0]
        if off:
            _need(self._buf, self._tab.Pos + off, size, f"{self.where} field {slot}")
        return int(off)

    def has(self, slot: int) -> bool:
        return self._field(slot, 0) != 0

    def scalar(self, slot: int, kind: str, default: Any = 0) -> Any:
        flags = _SCALARS[kind]
        off = self._field(slot, flags.bytewidth)
        return self._tab.Get(flags, self._tab.Pos + off) if off else default

    def _target(self, slot: int) -> int:
        """Absolute position that the uoffset in `slot` points to (0 when absent)."""
        off = self._field(slot, 4)
        if not off:
            return 0
        at = self._tab.Pos + off
        target = at + struct.unpack_from("<I", self._buf, at)[0]
        _need(self._buf, target, 4, f"{self.where} field {slot}")
        return int(target)

    def table(self, slot: int, where: str) -> CheckedTable | None:
        target = self._target(slot)
        return CheckedTable(self._buf, target, where) if target else None

    def vector(self, slot: int, dtype: str) -> np.ndarray | None:
        """A numeric vector as a read-only numpy view (None when absent)."""
        target = self._target(slot)
        if not target:
            return None
        dt = np.dtype(dtype).newbyteorder("<")
        n = struct.unpack_from("<I", self._buf, target)[0]
        _need(self._buf, target + 4, n * dt.itemsize, f"{self.where} field {slot} vector")
        return np.frombuffer(self._buf, dt, n, target + 4)

    def string(self, slot: int) -> str | None:
        raw = self.vector(slot, "u1")
        return None if raw is None else raw.tobytes().decode("utf-8", "replace")

    def tables(self, slot: int, where: Callable[[int], str]) -> list[CheckedTable]:
        """A vector of tables."""
        offs = self.vector(slot, "<u4")
        if offs is None:
            return []
        base = self._target(slot) + 4
        return [CheckedTable(self._buf, base + 4 * i + int(o), where(i)) for i, o in enumerate(offs)]


def _need(buf: bytes, pos: int, size: int, where: str) -> None:
    if pos < 0 or size < 0 or pos + size > len(buf):
        raise ModelError(f"{where}: offset {pos}+{size} is outside the {len(buf)}-byte file")


def read_options(opts_type: int, table: CheckedTable | None) -> dict[str, Any]:
    """Decode a builtin options table into a dict (defaults when the table is absent)."""
    if opts_type not in OPTIONS:
        return {}
    out: dict[str, Any] = {}
    for name, slot, kind, default in OPTIONS[opts_type][1]:
        if table is None:
            out[name] = default
        elif kind == "ivec":
            v = table.vector(slot, "<i4")
            out[name] = None if v is None else [int(x) for x in v]
        else:
            out[name] = table.scalar(slot, kind, default)
    return out

# The options table each builtin uses, for filling defaults when a file omits it.
OP_OPTIONS = {
    "CONV_2D": 1, "DEPTHWISE_CONV_2D": 2, "AVERAGE_POOL_2D": 5, "MAX_POOL_2D": 5, "SVDF": 6,
    "FULLY_CONNECTED": 8, "SOFTMAX": 9, "CONCATENATION": 10, "ADD": 11, "RESHAPE": 17, "MUL": 21,
    "PAD": 22, "BATCH_TO_SPACE_ND": 24, "SPACE_TO_BATCH_ND": 25, "TRANSPOSE": 26, "MEAN": 27,
    "SUB": 28, "DIV": 29, "SQUEEZE": 30, "STRIDED_SLICE": 32, "CAST": 37, "DEQUANTIZE": 38,
    "MAXIMUM": 39, "MINIMUM": 39, "TRANSPOSE_CONV": 49, "EXPAND_DIMS": 52, "SHAPE": 55, "PACK": 59,
    "UNIDIRECTIONAL_SEQUENCE_LSTM": 71, "LEAKY_RELU": 75, "QUANTIZE": 89, "HARD_SWISH": 91,
}
