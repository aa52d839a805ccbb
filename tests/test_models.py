"""Every real model in ../shared/models runs bit-exact against TFLM's goldens, all 5 seeds."""
from __future__ import annotations

import json

import numpy as np
import pytest

import interp
from oracles import MODELS, models_dir

NAMES = sorted(p.stem for p in (MODELS / "golden").glob("*.json")) if MODELS.is_dir() else ["<none>"]

@pytest.mark.parametrize("optimize", ["speed", "memory"])
@pytest.mark.parametrize("name", NAMES)
def test_model_matches_tflm_golden(name: str, optimize: str) -> None:
    root = models_dir()
    meta = json.loads((root / "golden" / f"{name}.json").read_text())
    golden = np.load(root / "golden" / f"{name}.npz")
    it = interp.Interpreter(root / meta["model"], optimize=optimize)  # runs in exactly arena_bytes
    ins, outs = it.get_input_details(), it.get_output_details()
    for seed in meta["seeds"]:
        it.reset_all_variables()
        for i, d in enumerate(ins):
            it.set_tensor(d["index"], golden[f"input_{i}_seed{seed}"])
        it.invoke()
        for i, d in enumerate(outs):
            np.testing.assert_array_equal(it.get_tensor(d["index"]), golden[f"output_{i}_seed{seed}"],
                                          err_msg=f"{name} seed {seed} output {i}")


@pytest.mark.parametrize("name", NAMES)
def test_arena_fits_below_tflm_and_the_budget_is_exact(name: str) -> None:
    """Planned arena <= TFLM's minimal arena; one byte less of RAM budget raises BudgetError."""
    root = models_dir()
    meta = json.loads((root / "golden" / f"{name}.json").read_text())
    path = root / meta["model"]
    fast = interp.Interpreter(path)
    small = interp.Interpreter(path, optimize="memory")
    assert small.arena_lower_bound <= small.arena_bytes <= fast.arena_bytes
    assert fast.arena_bytes <= meta["tflm_min_arena_bytes"]
    interp.Interpreter(path, ram_budget=small.arena_bytes)
    with pytest.raises(interp.BudgetError) as e:
        interp.Interpreter(path, ram_budget=small.arena_bytes - 1)
    assert e.value.required == small.arena_bytes
