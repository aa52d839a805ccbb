"""Every real model in ../shared/models runs bit-exact against TFLM's goldens, all 5 seeds."""
from __future__ import annotations

import json

import numpy as np
import pytest

import interp
from oracles import MODELS, models_dir

NAMES = sorted(p.stem for p in (MODELS / "golden").glob("*.json")) if MODELS.is_dir() else ["<none>"]

# Models that cannot pass yet, each with the reason (strict: an unexpected pass fails the run,
# so this list is kept exact).
NOT_YET = {name: "needs SOFTMAX / LOGISTIC / Signal ops still in progress" for name in (
    "cnn_l_quantized ds_cnn_l_quantized dtln_noise_suppression "
    "keyword_scrambled keyword_scrambled_8bit kws_ref_model micro_speech_lstm "
    "micro_speech_quantized person_detect pretrainedResnet_quant seanet_leaky_relu0 "
    "str_ww_ref_model trained_lstm_int8 vww_96_int8").split()}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(reason=NOT_YET[n], strict=True))
                                  if n in NOT_YET else n for n in NAMES])
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
