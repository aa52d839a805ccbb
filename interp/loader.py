"""Parse and verify .tflite bytes into the graph IR (interp.graph)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from . import schema
from .errors import ModelError
from .graph import Graph, Operator, Quant, Tensor

MAX_TENSOR_BYTES = 1 << 31  # far beyond any microcontroller; stops giant allocations early
MAX_RANK = 8


def read_model(model: str | Path | bytes | bytearray | memoryview) -> bytes:
    """The bytes of a .tflite given as a path or as bytes; raises ModelError."""
    if isinstance(model, (str, Path)):
        try:
            return Path(model).read_bytes()
        except OSError as e:
            raise ModelError(f"cannot read model file: {e}") from e
    return bytes(model)


def load(model: str | Path | bytes | bytearray | memoryview) -> Graph:
    """Parse a .tflite file (path or bytes) into a verified Graph; raises ModelError."""
    return parse(read_model(model))


def parse(buf: bytes) -> Graph:
    if len(buf) < 8:
        raise ModelError(f"file is {len(buf)} bytes: too short for a .tflite flatbuffer")
    if buf[4:8] != b"TFL3":
        raise ModelError("not a TensorFlow Lite model (file identifier is not 'TFL3')")
    root = int.from_bytes(buf[0:4], "little")
    model = schema.CheckedTable(buf, root, "model")
    version = model.scalar(0, "Uint32")
    if version != 3:
        raise ModelError(f"unsupported schema version {version} (expected 3)")
    buffers = [_buffer_bytes(buf, b) for b in model.tables(4, lambda i: f"buffer {i}")]
    opcodes = [_opcode(t) for t in model.tables(1, lambda i: f"operator code {i}")]
    subgraphs = model.tables(2, lambda i: f"subgraph {i}")
    if not subgraphs:
        raise ModelError("model has no subgraphs")
    sg = subgraphs[0]
    tensors = [_tensor(t, i, buffers) for i, t in enumerate(sg.tables(0, lambda i: f"tensor {i}"))]

    def tensor_list(raw: np.ndarray | None, where: str, optional: bool = False) -> list[Tensor | None]:
        out: list[Tensor | None] = []
        for idx in [] if raw is None else raw.tolist():
            if optional and idx == -1:
                out.append(None)
            elif not 0 <= idx < len(tensors):
                raise ModelError(f"{where}: tensor index {idx} out of range (0..{len(tensors) - 1})")
            else:
                out.append(tensors[idx])
        return out

    operators = []
    for i, t in enumerate(sg.tables(3, lambda i: f"operator {i}")):
        where = f"operator {i}"
        code_index = t.scalar(0, "Uint32")
        if code_index >= len(opcodes):
            raise ModelError(f"{where}: opcode index {code_index} out of range")
        name, ver = opcodes[code_index]
        opts_type, expected = t.scalar(3, "Uint8"), schema.OP_OPTIONS.get(name, 0)
        if opts_type == 0:
            opts_type = expected
        elif expected and opts_type != expected:
            raise ModelError(f"{where} ({name}): options table type {opts_type}, expected {expected}")
        options = schema.read_options(opts_type, t.table(4, f"{where} ({name}) options"))
        custom = t.vector(5, "u1")
        outs = tensor_list(t.vector(2, "<i4"), where)
        operators.append(Operator(
            index=i, name=name, version=ver,
            inputs=tensor_list(t.vector(1, "<i4"), where, optional=True),
            outputs=[o for o in outs if o is not None], options=options,
            custom_options=None if custom is None else custom.tobytes()))
    inputs = [x for x in tensor_list(sg.vector(1, "<i4"), "subgraph inputs") if x is not None]
    outputs = [x for x in tensor_list(sg.vector(2, "<i4"), "subgraph outputs") if x is not None]
    graph = Graph(tensors, operators, inputs, outputs, model.string(3) or "")
    _check_dataflow(graph)
    return graph


def _opcode(t: schema.CheckedTable) -> tuple[str, int]:
    code = max(t.scalar(0, "Int8"), t.scalar(3, "Int32"))
    version = t.scalar(2, "Int32", 1)
    if code == schema.CUSTOM:
        return "CUSTOM:" + (t.string(1) or ""), version
    return schema.op_name(code), version


def _buffer_bytes(buf: bytes, t: schema.CheckedTable) -> np.ndarray | None:
    data = t.vector(0, "u1")
    if data is not None and data.size:
        return data
    offset, size = t.scalar(1, "Uint64"), t.scalar(2, "Uint64")
    if offset > 1:  # data stored after the flatbuffer (models > 2 GB)
        if offset + size > len(buf):
            raise ModelError(f"{t.where}: external data {offset}+{size} is outside the file")
        return np.frombuffer(buf, np.uint8, size, offset)
    return None


def _tensor(t: schema.CheckedTable, index: int, buffers: list[np.ndarray | None]) -> Tensor:
    name = t.string(3) or f"tensor_{index}"
    where = f"tensor {index} '{name}'"
    raw_shape = t.vector(0, "<i4")
    shape = () if raw_shape is None else tuple(int(d) for d in raw_shape)
    if len(shape) > MAX_RANK or any(d < 0 for d in shape):
        raise ModelError(f"{where}: invalid shape {list(shape)}")
    type_code = t.scalar(1, "Int8")
    type_name, dtype = schema.TENSOR_TYPES.get(type_code, (f"type {type_code}", None))
    if dtype is None:
        raise ModelError(f"{where}: unsupported tensor type {type_name}")
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > MAX_TENSOR_BYTES:
        raise ModelError(f"{where}: {nbytes} bytes is too large")
    buffer_index = t.scalar(2, "Uint32")
    if buffer_index >= max(len(buffers), 1):
        raise ModelError(f"{where}: buffer index {buffer_index} out of range")
    raw = buffers[buffer_index] if buffers else None
    data = None
    if raw is not None:
        if raw.size != nbytes:
            raise ModelError(f"{where}: buffer has {raw.size} bytes, shape and type need {nbytes}")
        data = raw.view(dtype.newbyteorder("<")).reshape(shape)
    q = t.table(4, where + " quantization")
    tensor = Tensor(index=index, name=name, shape=shape, dtype=dtype, quant=_quant(q, shape, where),
                    data=data, is_variable=bool(t.scalar(5, "Bool", False)))
    _check_zero_points(tensor)
    return tensor


def _quant(q: schema.CheckedTable | None, shape: tuple[int, ...], where: str) -> Quant | None:
    if q is None:
        return None
    scale, zp = q.vector(2, "<f4"), q.vector(3, "<i8")
    if scale is None or scale.size == 0:
        return None
    axis = q.scalar(6, "Int32")
    if zp is None or zp.size == 0:
        zp = np.zeros(scale.size, np.int64)
    if zp.size != scale.size:
        raise ModelError(f"{where}: {scale.size} scales but {zp.size} zero points")
    if not np.all(np.isfinite(scale)) or np.any(scale <= 0):
        raise ModelError(f"{where}: quantization scales must be finite and > 0")
    if scale.size > 1 and len(shape) == 1 and axis >= 1:
        axis = 0  # person_detect's biases say quantized_dimension=3 on 1-D tensors; TFLM accepts it
    if scale.size > 1 and not (0 <= axis < len(shape) and shape[axis] == scale.size):
        raise ModelError(f"{where}: {scale.size} per-channel scales do not match axis {axis} of {list(shape)}")
    return Quant(tuple(float(s) for s in scale), tuple(int(z) for z in zp), int(axis))


_ZP_RANGES = {np.dtype(np.int8): (-128, 127), np.dtype(np.uint8): (0, 255),
              np.dtype(np.int16): (-32768, 32767)}


def _check_zero_points(t: Tensor) -> None:
    lo_hi = _ZP_RANGES.get(t.dtype)
    if t.quant is not None and lo_hi is not None:
        if any(not lo_hi[0] <= z <= lo_hi[1] for z in t.quant.zero_point):
            raise ModelError(f"{t.describe()}: zero point outside the {t.dtype.name} range")


def _check_dataflow(g: Graph) -> None:
    """Every op input must be a constant, a graph input, a variable or an earlier op's output."""
    ready = {t.index for t in g.tensors if t.is_const or t.is_variable} | {t.index for t in g.inputs}
    for op in g.operators:
        for t in op.inputs:
            if t is not None and t.index not in ready:
                raise ModelError(f"{op.describe()}: input {t.describe()} is used before it is produced")
        for t in op.outputs:
            if t.index in ready and not t.is_variable:
                raise ModelError(f"{op.describe()}: output {t.describe()} is written twice or is an input")
            ready.add(t.index)
    for t in g.outputs:
        if t.index not in ready:
            raise ModelError(f"graph output {t.describe()} is never produced")


def op_summary(g: Graph) -> list[dict[str, Any]]:
    return [{"index": op.index, "op": op.name, "version": op.version,
             "inputs": [t.index if t else -1 for t in op.inputs],
             "outputs": [t.index for t in op.outputs]} for op in g.operators]
