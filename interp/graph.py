"""The graph IR: what the loader produces from .tflite bytes and lowering consumes.

Tensors and operators are plain objects; the loader has already verified every index, shape,
type and quantization parameter, so lowering can trust them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Quant:
    """Affine quantization: real = scale * (q - zero_point), per tensor or per `axis` channel."""

    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    axis: int = 0

    @property
    def per_channel(self) -> bool:
        return len(self.scale) > 1


@dataclass(eq=False)
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    quant: Quant | None = None
    data: np.ndarray | None = None  # constant contents (read-only), None for activations
    is_variable: bool = False

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    @property
    def scale(self) -> float:
        """Per-tensor scale (lowering checks per_channel before calling this)."""
        return self.quant.scale[0] if self.quant else 0.0

    @property
    def zero_point(self) -> int:
        return self.quant.zero_point[0] if self.quant else 0

    def describe(self) -> str:
        return f"tensor {self.index} '{self.name}' {self.dtype.name}{list(self.shape)}"


@dataclass(eq=False)
class Operator:
    index: int
    name: str  # builtin name ("CONV_2D") or "CUSTOM:<code>"
    version: int
    inputs: list[Tensor | None]
    outputs: list[Tensor]
    options: dict[str, Any] = field(default_factory=dict)
    custom_options: bytes | None = None

    def describe(self) -> str:
        types = ",".join(t.dtype.name if t is not None else "-" for t in self.inputs)
        outs = ",".join(t.dtype.name for t in self.outputs)
        return f"op {self.index} {self.name} v{self.version} ({types} -> {outs})"


@dataclass(eq=False)
class Graph:
    tensors: list[Tensor]
    operators: list[Operator]
    inputs: list[Tensor]
    outputs: list[Tensor]
    description: str = ""

    @property
    def variables(self) -> list[Tensor]:
        return [t for t in self.tensors if t.is_variable]
