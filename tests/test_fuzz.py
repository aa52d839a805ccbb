"""Hostile .tflite files give a typed InterpError, never a crash, hang or other exception."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from interp import default_model
from interp.fuzz import MUTATIONS, check_file, mutate
from oracles import IN_CI, models_dir

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import fuzz_models  # noqa: E402

SEED_MODEL = default_model.build()


@given(st.integers(0, 2**32 - 1), st.sampled_from(MUTATIONS))
def test_mutated_default_model_is_rejected_or_runs(seed: int, kind: str) -> None:
    data = mutate(SEED_MODEL, np.random.default_rng(seed), kind)
    assert check_file(data) in ("rejected", "ran")


@given(st.binary(max_size=512))
def test_random_bytes_are_rejected(data: bytes) -> None:
    assert check_file(data) == "rejected"


def test_bounded_fuzz_of_real_models_in_subprocesses() -> None:
    """>= 2,000 mutated real models in CI (200 locally): 0 crashes, hangs, or untyped errors."""
    count = 2000 if IN_CI else 200
    stats = fuzz_models.fuzz(count, seed=7, batch=250, keep=None, models_dir=models_dir())
    assert stats.get("files") == count, stats
    assert set(stats) <= {"ran", "rejected", "files"}, stats
