"""The Interpreter: TFLite's Python face over a lowered plan and the C executor."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from . import kernels
from .budget import check_budget, memory_report, resolve_budget
from .errors import BudgetError, InputError
from .graph import Graph, Tensor
from .loader import load, read_model
from .plan import ALIGN, CORE_ISA, OPTIMIZE, Plan, lower

GUARD_BYTES = 16
TARGETS = ("host", "board", *CORE_ISA)


def _aligned_zeros(nbytes: int) -> np.ndarray:
    """A zeroed uint8 buffer whose first byte is ALIGN-aligned (the planner aligns offsets)."""
    raw = np.zeros(nbytes + ALIGN, np.uint8)
    start = (-raw.ctypes.data) % ALIGN
    return raw[start:start + nbytes]


class Interpreter:
    """Run a quantized .tflite model; the method names follow tf.lite.Interpreter.

    >>> it = Interpreter(default_model_path())          # doctest: +SKIP
    >>> it.allocate_tensors()
    >>> x = it.get_input_details()[0]
    """

    def __init__(self, model_path: str | Path | bytes | None = None, *,
                 model_content: bytes | None = None, ram_budget: int | str | None = None,
                 flash_budget: int | str | None = None, board: str | None = None,
                 optimize: str = "speed", target: str = "host", debug: bool = False) -> None:
        """Load, verify, lower and plan a model; check budgets before anything runs.

        Args:
            model_path: .tflite path, or the model bytes.
            model_content: the model bytes (TFLite's keyword).
            ram_budget / flash_budget: bytes (or "64k", "1m") the board has for this model.
            board: a preset from interp.budget.BOARDS (e.g. "cortex-m4-256k").
            optimize: "speed" (fast kernels everywhere) or "memory" (the smallest arena: slower
                in-place / scratch-free kernels where they shrink the peak). A speed plan over
                the RAM budget is shrunk the memory way until it fits.
            target: "host" lets the plan carry constants only this machine's SIMD kernels
                read (packed filters); "board" plans exactly what a microcontroller running the
                portable kernels stores, and a core name ("cortex-m4", "cortex-m55", ...) what
                that core's build stores (with its DSP / Helium kernels' constants, which are
                left out when the budgets are too small for them: a DSP plan over its flash
                budget drops its int16 filters first, largest first). A flash budget or board
                preset implies "board", so flash is counted as shipped.
            debug: put guard bytes around every arena buffer and check them after every op.
        Raises:
            ModelError / UnsupportedOperatorError: bad or unsupported model.
            BudgetError: the plan needs more RAM or flash than allowed (with the peak op and
                the buffers live there).
        """
        source = model_content if model_content is not None else model_path
        if source is None:
            raise InputError("give a model path or model_content bytes")
        if optimize not in OPTIMIZE:
            raise InputError(f"optimize must be one of {OPTIMIZE}, not {optimize!r}")
        if target not in TARGETS:
            raise InputError(f"target must be one of {TARGETS}, not {target!r}")
        ram, flash = resolve_budget(ram_budget, flash_budget, board)
        if flash is not None and target == "host":
            target = "board"
        self.model_bytes = read_model(source)
        self.optimize, self.target = optimize, target
        self._graph: Graph = load(self.model_bytes)
        guard = GUARD_BYTES if debug else 0
        isa = CORE_ISA.get(target, "portable" if target == "board" else "host")
        self._plan: Plan = lower(self._graph, guard, optimize, ram, isa=isa, flash_budget=flash)
        try:
            check_budget(self._plan, ram, flash)
        except BudgetError:
            if isa not in ("dsp", "mve"):
                raise
            # a core's DSP / Helium constants (and scratch) buy speed: drop them before failing
            self._plan = lower(self._graph, guard, optimize, ram, isa="portable")
            check_budget(self._plan, ram, flash)
        self._consts = _aligned_zeros(self._plan.consts.nbytes)
        self._consts[:] = self._plan.consts
        self._arena = _aligned_zeros(self._plan.arena_bytes)
        self._runner = kernels.PlanRunner(self._plan.words, self._consts, self._arena,
                                          [op.name for op in self._plan.ops], self._plan.guards)
        self._tensors = {t.index: t for t in self._graph.tensors}
        self.reset_all_variables()

    # -- sizes -----------------------------------------------------------------------------
    @property
    def arena_bytes(self) -> int:
        """Bytes of RAM the planned arena takes (every activation, state and scratch buffer)."""
        return self._plan.arena_bytes

    @property
    def const_bytes(self) -> int:
        """Bytes of weights and other constants (flash on a board)."""
        return int(self._plan.consts.nbytes)

    # -- TFLite API --------------------------------------------------------------------------
    def allocate_tensors(self) -> None:
        """Kept for TFLite compatibility: the arena is planned and allocated at construction."""

    def get_input_details(self) -> list[dict[str, Any]]:
        return [self._details(t) for t in self._graph.inputs]

    def get_output_details(self) -> list[dict[str, Any]]:
        return [self._details(t) for t in self._graph.outputs]

    def get_tensor_details(self) -> list[dict[str, Any]]:
        return [self._details(t) for t in self._graph.tensors]

    def set_tensor(self, tensor_index: int, value: Any) -> None:
        t = self._io_tensor(tensor_index, inputs_only=True)
        arr = np.asarray(value)
        if arr.dtype != t.dtype:
            raise InputError(f"{t.describe()}: got dtype {arr.dtype}, expected {t.dtype}")
        if arr.shape != t.shape:
            raise InputError(f"{t.describe()}: got shape {list(arr.shape)}, expected {list(t.shape)}")
        self._view(t)[...] = arr

    def get_tensor(self, tensor_index: int) -> np.ndarray:
        return self._view(self._io_tensor(tensor_index, inputs_only=False)).copy()

    def invoke(self) -> None:
        self._runner.run()

    def memory_report(self) -> str:
        """Per-op live arena bytes, the peak op and the lower bound, as text."""
        return memory_report(self._plan)

    @property
    def arena_lower_bound(self) -> int:
        """The most bytes live at any one op step: no plan can use less."""
        return self._plan.lower_bound

    def reset_all_variables(self) -> None:
        """Reset state tensors (LSTM/SVDF) as TFLM does: int8 to its zero point, others to 0."""
        for t in self._graph.variables:  # TFLM ignores a variable's initial buffer data too
            self._view(t)[...] = t.zero_point if t.dtype == np.int8 else 0
        for bid in self._plan.states:  # op-internal state (e.g. a noise estimate): TFLM zeroes it
            b = self._plan.buffers[bid]
            self._arena[b.offset:b.offset + b.nbytes] = 0

    def run(self, inputs: dict[str, np.ndarray] | list[np.ndarray]) -> dict[str, np.ndarray]:
        """Set inputs (by name or in order), invoke, and return the outputs by name."""
        items = (list(inputs.items()) if isinstance(inputs, dict)
                 else [(t.name, x) for t, x in zip(self._graph.inputs, inputs)])
        by_name = {t.name: t for t in self._graph.inputs}
        if len(items) != len(by_name):
            raise InputError(f"expected {len(by_name)} inputs, got {len(items)}")
        for name, x in items:
            if name not in by_name:
                raise InputError(f"no input named {name!r}; inputs are {list(by_name)}")
            self.set_tensor(by_name[name].index, x)
        self.invoke()
        return {t.name: self.get_tensor(t.index) for t in self._graph.outputs}

    # -- internals ---------------------------------------------------------------------------
    def _details(self, t: Tensor) -> dict[str, Any]:
        q = t.quant
        return {
            "name": t.name, "index": t.index, "shape": np.array(t.shape, np.int32),
            "shape_signature": np.array(t.shape, np.int32), "dtype": t.dtype.type,
            "quantization": (q.scale[0], q.zero_point[0]) if q else (0.0, 0),
            "quantization_parameters": {
                "scales": np.array(q.scale if q else (), np.float32),
                "zero_points": np.array(q.zero_point if q else (), np.int32),
                "quantized_dimension": q.axis if q else 0},
            "sparsity_parameters": {},
        }

    def _io_tensor(self, index: int, inputs_only: bool) -> Tensor:
        t = self._tensors.get(int(index)) if isinstance(index, (int, np.integer)) else None
        if t is None:
            raise InputError(f"no tensor with index {index!r}")
        if inputs_only and t not in self._graph.inputs:
            raise InputError(f"{t.describe()} is not a model input")
        if t.index not in self._plan.tensor_buffer:
            raise InputError(f"{t.describe()} has no storage in the plan (folded or unused)")
        return t

    def _view(self, t: Tensor) -> np.ndarray:
        b = self._plan.buffers[self._plan.tensor_buffer[t.index]]
        region = self._arena if b.in_arena else self._consts
        raw = region[b.offset:b.offset + t.nbytes]
        return raw.view(t.dtype).reshape(t.shape)
