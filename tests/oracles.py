"""Reference runtimes for differential tests: tflite-micro (the oracle) and LiteRT BUILTIN_REF.

On a user's machine without them the tests skip; in CI (CI=true) a missing oracle or a missing
../shared folder is a failure, so the oracle tests can never silently skip there.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

MODELS = Path(os.environ.get("INTERP_MODELS")
              or Path(__file__).resolve().parent.parent.parent / "shared" / "models")
IN_CI = bool(os.environ.get("CI"))


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} not available")


def models_dir() -> Path:
    if not (MODELS / "golden").is_dir():
        _missing(f"the shared models folder {MODELS}")
    return MODELS


def run_tflm(model: bytes, inputs: list[np.ndarray], arena_size: int = 1 << 22) -> list[np.ndarray]:
    """Outputs of TFLM's Python interpreter (reference kernels) for one invoke."""
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        _missing("tflite-micro")
    it = runtime.Interpreter.from_bytes(model, arena_size=arena_size)
    for i, x in enumerate(inputs):
        it.set_input(x, i)
    it.invoke()
    outs, i = [], 0
    while True:
        try:
            outs.append(np.array(it.get_output(i)))
        except Exception:  # TFLM has no output count; it raises past the last output
            return outs
        i += 1


def run_litert(model: bytes, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Outputs of LiteRT with its reference kernels (OpResolverType.BUILTIN_REF)."""
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError:
        _missing("ai-edge-litert")
    it = Interpreter(model_content=model, num_threads=1,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    for d, x in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], x)
    it.invoke()
    return [it.get_tensor(d["index"]) for d in it.get_output_details()]


def run_interp(model: bytes, inputs: list[np.ndarray]) -> list[np.ndarray]:
    import interp
    it = interp.Interpreter(model_content=model)
    for d, x in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], x)
    it.invoke()
    return [it.get_tensor(d["index"]) for d in it.get_output_details()]


def assert_matches_tflm(model: bytes, inputs: list[np.ndarray], litert: bool = True) -> None:
    """Our outputs equal TFLM's exactly; with litert=True also LiteRT BUILTIN_REF's."""
    try:
        want = run_tflm(model, inputs)
    except RuntimeError as e:  # TFLM refused the model at allocation: so must we
        import interp
        with pytest.raises(interp.ModelError):
            run_interp(model, inputs)
        assert "allocate" in str(e), e
        return
    ours = run_interp(model, inputs)
    assert len(ours) == len(want)
    for a, b in zip(ours, want):
        np.testing.assert_array_equal(a, b)
    if litert:
        for a, b in zip(ours, run_litert(model, inputs)):
            np.testing.assert_array_equal(a, b)
