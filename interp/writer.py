"""Write .tflite flatbuffers with the flatbuffers Builder: tests and examples make models with it.

>>> w = ModelWriter()
>>> x = w.tensor((1, 4), np.int8, scale=0.5, zero_point=-1)
>>> y = w.tensor((1, 4), np.int8, scale=0.5, zero_point=-1)
>>> w.op("RELU", [x], [y]); w.inputs, w.outputs = [x], [y]
>>> len(w.to_bytes()) > 0
True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import flatbuffers
import numpy as np

from . import schema


@dataclass
class _Tensor:
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    name: str
    data: np.ndarray | None
    scale: list[float] | None
    zero_point: list[int] | None
    axis: int
    is_variable: bool


@dataclass
class _Op:
    name: str
    inputs: list[int]
    outputs: list[int]
    options: dict[str, Any]
    version: int
    custom_options: bytes | None


@dataclass
class ModelWriter:
    tensors: list[_Tensor] = field(default_factory=list)
    ops: list[_Op] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)
    description: str = "written by interp.writer"

    def tensor(self, shape: Sequence[int], dtype: Any, *, name: str | None = None,
               data: Any = None, scale: float | Sequence[float] | None = None,
               zero_point: int | Sequence[int] | None = None, axis: int = 0,
               is_variable: bool = False) -> int:
        """Add a tensor; `data` makes it a constant. Returns its index."""
        dt = np.dtype(dtype)
        arr = None if data is None else np.ascontiguousarray(np.asarray(data, dt).reshape(tuple(shape)))
        scales = None if scale is None else [float(s) for s in np.atleast_1d(scale)]
        zps = None
        if scales is not None:
            zps = [int(z) for z in np.atleast_1d(0 if zero_point is None else zero_point)]
            if len(zps) == 1 and len(scales) > 1:
                zps = zps * len(scales)
        self.tensors.append(_Tensor(tuple(int(d) for d in shape), dt, name or f"t{len(self.tensors)}",
                                    arr, scales, zps, axis, is_variable))
        return len(self.tensors) - 1

    def op(self, name: str, inputs: Sequence[int], outputs: Sequence[int],
           options: dict[str, Any] | None = None, version: int = 1,
           custom_options: bytes | None = None) -> None:
        """Add an operator by builtin name ("CONV_2D") or "CUSTOM:<code>"; -1 = absent input."""
        self.ops.append(_Op(name, list(inputs), list(outputs), dict(options or {}), version,
                            custom_options))

    # -- serialization ---------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        b = flatbuffers.Builder(1024)
        codes: list[tuple[str, int]] = []
        for o in self.ops:
            if (o.name, o.version) not in codes:
                codes.append((o.name, o.version))

        # buffers: 0 is the empty sentinel, then one per constant tensor
        buffer_data = [None] + [t.data for t in self.tensors if t.data is not None]
        buffers = []
        for data in buffer_data:
            vec = None
            if data is not None:
                raw = data.astype(data.dtype.newbyteorder("<")).tobytes()
                b.StartVector(1, len(raw), 16)
                b.head = b.head - len(raw)
                b.Bytes[b.head:b.head + len(raw)] = raw
                vec = b.EndVector()
            b.StartObject(3)
            if vec is not None:
                b.PrependUOffsetTRelativeSlot(0, vec, 0)
            buffers.append(b.EndObject())

        tensors = []
        next_buffer = 1
        for t in self.tensors:
            name = b.CreateString(t.name)
            shape = _int_vector(b, t.shape)
            q = None
            if t.scale is not None:
                scale = _vector(b, t.scale, "f4")
                zp = _vector(b, t.zero_point or [0], "i8")
                b.StartObject(7)
                b.PrependUOffsetTRelativeSlot(2, scale, 0)
                b.PrependUOffsetTRelativeSlot(3, zp, 0)
                b.PrependInt32Slot(6, t.axis, 0)
                q = b.EndObject()
            b.StartObject(8)
            b.PrependUOffsetTRelativeSlot(0, shape, 0)
            b.PrependInt8Slot(1, schema.DTYPE_TO_TYPE[t.dtype], 0)
            if t.data is not None:
                b.PrependUint32Slot(2, next_buffer, 0)
                next_buffer += 1
            b.PrependUOffsetTRelativeSlot(3, name, 0)
            if q is not None:
                b.PrependUOffsetTRelativeSlot(4, q, 0)
            if t.is_variable:
                b.PrependBoolSlot(5, True, False)
            tensors.append(b.EndObject())

        ops = []
        for o in self.ops:
            ins, outs = _int_vector(b, o.inputs), _int_vector(b, o.outputs)
            opts_type, opts = _options(b, o)
            custom = None
            if o.custom_options is not None:
                custom = _vector(b, list(o.custom_options), "u1")
            b.StartObject(9)
            b.PrependUint32Slot(0, codes.index((o.name, o.version)), 0)
            b.PrependUOffsetTRelativeSlot(1, ins, 0)
            b.PrependUOffsetTRelativeSlot(2, outs, 0)
            if opts is not None:
                b.PrependUint8Slot(3, opts_type, 0)
                b.PrependUOffsetTRelativeSlot(4, opts, 0)
            if custom is not None:
                b.PrependUOffsetTRelativeSlot(5, custom, 0)
            ops.append(b.EndObject())

        sg_tensors, sg_ops = _table_vector(b, tensors), _table_vector(b, ops)
        sg_in, sg_out = _int_vector(b, self.inputs), _int_vector(b, self.outputs)
        sg_name = b.CreateString("main")
        b.StartObject(5)
        b.PrependUOffsetTRelativeSlot(0, sg_tensors, 0)
        b.PrependUOffsetTRelativeSlot(1, sg_in, 0)
        b.PrependUOffsetTRelativeSlot(2, sg_out, 0)
        b.PrependUOffsetTRelativeSlot(3, sg_ops, 0)
        b.PrependUOffsetTRelativeSlot(4, sg_name, 0)
        subgraph = b.EndObject()

        opcodes = []
        for name, version in codes:
            custom_name = b.CreateString(name[7:]) if name.startswith("CUSTOM:") else None
            code = schema.CUSTOM if custom_name is not None else schema.OP_CODES[name]
            b.StartObject(4)
            b.PrependInt8Slot(0, min(code, 127), 0)
            if custom_name is not None:
                b.PrependUOffsetTRelativeSlot(1, custom_name, 0)
            b.PrependInt32Slot(2, version, 1)
            b.PrependInt32Slot(3, code, 0)
            opcodes.append(b.EndObject())

        v_codes, v_subgraphs = _table_vector(b, opcodes), _table_vector(b, [subgraph])
        v_buffers, desc = _table_vector(b, buffers), b.CreateString(self.description)
        b.StartObject(8)
        b.PrependUint32Slot(0, 3, 0)
        b.PrependUOffsetTRelativeSlot(1, v_codes, 0)
        b.PrependUOffsetTRelativeSlot(2, v_subgraphs, 0)
        b.PrependUOffsetTRelativeSlot(3, desc, 0)
        b.PrependUOffsetTRelativeSlot(4, v_buffers, 0)
        b.Finish(b.EndObject(), file_identifier=b"TFL3")
        return bytes(b.Output())


def _vector(b: flatbuffers.Builder, values: Sequence[Any], kind: str) -> int:
    arr = np.asarray(values, np.dtype(kind).newbyteorder("<"))
    b.StartVector(arr.itemsize, len(arr), max(arr.itemsize, 4))
    raw = arr.tobytes()
    b.head = b.head - len(raw)
    b.Bytes[b.head:b.head + len(raw)] = raw
    return b.EndVector()


def _int_vector(b: flatbuffers.Builder, values: Sequence[int]) -> int:
    return _vector(b, list(values), "i4")


def _table_vector(b: flatbuffers.Builder, offsets: list[int]) -> int:
    b.StartVector(4, len(offsets), 4)
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return b.EndVector()


def _options(b: flatbuffers.Builder, o: _Op) -> tuple[int, int | None]:
    opts_type = schema.OP_OPTIONS.get(o.name)
    if opts_type is None:
        if o.options:
            raise ValueError(f"{o.name} takes no builtin options")
        return 0, None
    fields = schema.OPTIONS[opts_type][1]
    unknown = set(o.options) - {f[0] for f in fields}
    if unknown:
        raise ValueError(f"{o.name}: unknown options {sorted(unknown)}")
    vectors = {name: _int_vector(b, o.options[name]) for name, _, kind, _ in fields
               if kind == "ivec" and o.options.get(name) is not None}
    b.StartObject(max((f[1] for f in fields), default=-1) + 1)
    for name, slot, kind, default in fields:
        value = o.options.get(name, default)
        if kind == "ivec":
            if name in vectors:
                b.PrependUOffsetTRelativeSlot(slot, vectors[name], 0)
        elif value != default or name in o.options:
            getattr(b, f"Prepend{kind}Slot")(slot, value, None)
    return opts_type, b.EndObject()
