"""Every real model in ../shared/models runs bit-exact against TFLM's goldens, all 5 seeds."""
from __future__ import annotations

import json

import numpy as np
import pytest

import interp
from oracles import MODELS, models_dir

NAMES = sorted(p.stem for p in (MODELS / "golden").glob("*.json")) if MODELS.is_dir() else ["<none>"]

@pytest.mark.parametrize("name", NAMES)
def test_model_matches_tflm_golden(name: str) -> None:
    root = models_dir()
    meta = json.loads((root / "golden" / f"{name}.json").read_text())
    golden = np.load(root / "golden" / f"{name}.npz")
    it = interp.Interpreter(root / meta["model"])
    ins, outs = it.get_input_details(), it.get_output_details()
    for seed in meta["seeds"]:
        it.reset_all_variables()
        for i, d in enumerate(ins):
            it.set_tensor(d["index"], golden[f"input_{i}_seed{seed}"])
        it.invoke()
        for i, d in enumerate(outs):
            np.testing.assert_array_equal(it.get_tensor(d["index"]), golden[f"output_{i}_seed{seed}"],
                                          err_msg=f"{name} seed {seed} output {i}")
