"""The Interpreter's TFLite-like face, its errors, the CLI and the bundled default model."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import interp
from interp import default_model
from interp.writer import ModelWriter
from oracles import assert_matches_tflm


def test_default_model_matches_tflm() -> None:
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.integers(-128, 128, (1, 128), np.int8)
        assert_matches_tflm(default_model.build(), [x], litert=False)  # LiteRT-REF FC rounds once


def test_details_follow_tflite() -> None:
    it = interp.Interpreter(model_content=default_model.build())
    it.allocate_tensors()
    (d,) = it.get_input_details()
    assert d["name"] == "spectrum" and d["dtype"] is np.int8
    assert list(d["shape"]) == [1, 128] and d["quantization"] == pytest.approx((0.05, -3))
    (o,) = it.get_output_details()
    assert o["name"] == "reconstruction" and it.arena_bytes > 0


def test_run_by_name_equals_invoke() -> None:
    it = interp.Interpreter(default_model.build())
    x = np.arange(-64, 64, dtype=np.int8).reshape(1, 128)
    by_name = it.run({"spectrum": x})["reconstruction"]
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    np.testing.assert_array_equal(by_name, it.get_tensor(it.get_output_details()[0]["index"]))


@pytest.mark.parametrize("bad", [np.zeros((1, 128), np.float32), np.zeros((1, 127), np.int8),
                                 np.zeros((128,), np.int8)])
def test_set_tensor_rejects_wrong_dtype_or_shape(bad: np.ndarray) -> None:
    it = interp.Interpreter(default_model.build())
    with pytest.raises(interp.InputError):
        it.set_tensor(0, bad)


def test_set_tensor_rejects_non_inputs_and_bad_indices() -> None:
    it = interp.Interpreter(default_model.build())
    out = it.get_output_details()[0]["index"]
    with pytest.raises(interp.InputError):
        it.set_tensor(out, np.zeros((1, 128), np.int8))
    with pytest.raises(interp.InputError):
        it.get_tensor(10_000)


def test_non_contiguous_input_is_copied() -> None:
    it = interp.Interpreter(default_model.build())
    x = np.arange(256, dtype=np.int16).astype(np.int8).reshape(1, 256)[:, ::2]
    assert not x.flags.c_contiguous
    a = it.run([x])["reconstruction"]
    b = it.run([np.ascontiguousarray(x)])["reconstruction"]
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("data", [b"", b"abc", b"\x00" * 64, default_model.build()[:100]])
def test_malformed_bytes_raise_model_error(data: bytes) -> None:
    with pytest.raises(interp.ModelError):
        interp.Interpreter(model_content=data)


def test_unsupported_ops_are_listed_together() -> None:
    w = ModelWriter()
    x = w.tensor((1, 4), np.float32)
    y = w.tensor((1, 4), np.float32)
    z = w.tensor((1, 4), np.float32)
    w.op("FLOOR", [x], [y])
    w.op("CUSTOM:MyOp", [y], [z])
    w.inputs, w.outputs = [x], [z]
    with pytest.raises(interp.UnsupportedOperatorError) as e:
        interp.Interpreter(model_content=w.to_bytes())
    assert len(e.value.problems) == 2
    assert "op 0 FLOOR v1" in str(e.value) and "op 1 CUSTOM:MyOp v1" in str(e.value)


def test_errors_form_one_tree() -> None:
    for cls in (interp.ModelError, interp.UnsupportedOperatorError, interp.InputError,
                interp.BudgetError, interp.KernelError):
        assert issubclass(cls, interp.InterpError)


def test_cli_run_saves_outputs(tmp_path) -> None:
    x = np.full((1, 128), 5, np.int8)
    np.save(tmp_path / "x.npy", x)
    p = subprocess.run([sys.executable, "-m", "interp", "run", "--input", str(tmp_path / "x.npy"),
                        "--output", str(tmp_path / "y.npy"), "--repeat", "2"],
                       capture_output=True, text=True, check=True)
    assert "arena bytes" in p.stdout and "latency" in p.stdout
    want = interp.Interpreter(default_model.build()).run([x])["reconstruction"]
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), want)


def test_cli_reports_bad_model(tmp_path) -> None:
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a model at all")
    p = subprocess.run([sys.executable, "-m", "interp", "inspect", str(bad)], capture_output=True, text=True)
    assert p.returncode == 2 and "ModelError" in p.stderr


def test_read_only_input_is_accepted_and_not_written() -> None:
    it = interp.Interpreter(default_model.build())
    x = np.full((1, 128), 7, np.int8)
    x.setflags(write=False)
    y = it.run([x])["reconstruction"]
    np.testing.assert_array_equal(y, it.run([x.copy()])["reconstruction"])
    assert (x == 7).all()


def test_outputs_are_copies_not_views_of_the_arena() -> None:
    it = interp.Interpreter(default_model.build())
    y1 = it.run([np.zeros((1, 128), np.int8)])["reconstruction"]
    keep = y1.copy()
    it.run([np.full((1, 128), 100, np.int8)])
    np.testing.assert_array_equal(y1, keep)
