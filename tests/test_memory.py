"""Arena planning, budgets and the guarded debug mode."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import interp
import interp.kernels
from interp import default_model
from interp.planner import align, live_bytes_per_step, place


@dataclass
class Buf:
    nbytes: int
    first: int
    last: int
    offset: int = -1


lifetimes = st.lists(
    st.tuples(st.integers(1, 5000), st.integers(0, 30), st.integers(0, 10)).map(
        lambda t: Buf(t[0], t[1], t[1] + t[2])),
    min_size=1, max_size=40)


@given(lifetimes, st.sampled_from([0, 16]))
def test_plan_never_overlaps_live_buffers_and_respects_bounds(bufs: list[Buf], guard: int) -> None:
    layout = place(bufs, guard)
    bound = max(live_bytes_per_step(bufs, 2 * guard))
    assert layout.lower_bound == bound <= layout.arena_bytes
    for b in bufs:
        assert b.offset >= guard and b.offset % 16 == guard % 16
        assert b.offset + b.nbytes + guard <= layout.arena_bytes
    for i, a in enumerate(bufs):
        for b in bufs[i + 1:]:
            if a.first <= b.last and b.first <= a.last:  # live at the same time: disjoint slots
                a_lo, a_hi = a.offset - guard, a.offset + a.nbytes + guard
                b_lo, b_hi = b.offset - guard, b.offset + b.nbytes + guard
                assert a_hi <= b_lo or b_hi <= a_lo


def test_plan_reaches_the_bound_on_a_chain() -> None:
    bufs = [Buf(1000, 0, 1), Buf(500, 1, 2), Buf(1000, 2, 3), Buf(16, 3, 4)]
    layout = place(bufs)
    assert layout.arena_bytes == layout.lower_bound == align(1000) + align(500)


def test_budget_one_byte_short_raises_with_the_peak() -> None:
    model = default_model.build()
    need = interp.Interpreter(model_content=model).arena_bytes
    interp.Interpreter(model_content=model, ram_budget=need)  # exactly enough is enough
    with pytest.raises(interp.BudgetError) as e:
        interp.Interpreter(model_content=model, ram_budget=need - 1)
    err = e.value
    assert (err.resource, err.required, err.available) == ("ram", need, need - 1)
    assert "FULLY_CONNECTED" in str(err) and "Peak at op" in str(err)


def test_flash_budget_and_board_presets() -> None:
    model = default_model.build()
    with pytest.raises(interp.BudgetError) as e:
        interp.Interpreter(model_content=model, flash_budget="16k")
    assert e.value.resource == "flash" and "constants" in str(e.value)
    interp.Interpreter(model_content=model, board="cortex-m4-256k")
    with pytest.raises(interp.InputError):
        interp.Interpreter(model_content=model, board="no-such-board")


def test_debug_mode_matches_normal_mode() -> None:
    model = default_model.build()
    x = np.arange(128, dtype=np.int8).reshape(1, 128)
    a = interp.Interpreter(model_content=model).run([x])
    b = interp.Interpreter(model_content=model, debug=True).run([x])
    np.testing.assert_array_equal(a["reconstruction"], b["reconstruction"])


def test_debug_mode_catches_a_broken_plan() -> None:
    it = interp.Interpreter(model_content=default_model.build(), debug=True)
    plan = it._plan
    out_buf = plan.tensor_buffer[it.get_output_details()[0]["index"]]
    words = plan.words.copy()
    words[4 + 3 * out_buf + 1] -= 8  # shift the output 8 bytes into its leading guard
    it._runner = interp.kernels.PlanRunner(words, it._consts, it._arena, ["op"] * len(plan.ops),
                                           plan.guards)
    it.set_tensor(0, np.zeros((1, 128), np.int8))
    with pytest.raises(interp.KernelError) as e:
        it.invoke()
    assert e.value.status == -5 and e.value.op_index == len(plan.ops) - 1


def test_executor_rejects_a_plan_larger_than_its_arena() -> None:
    it = interp.Interpreter(model_content=default_model.build())
    it._runner = interp.kernels.PlanRunner(it._plan.words, it._consts, it._arena[:-1], [])
    with pytest.raises(interp.KernelError) as e:
        it.invoke()
    assert e.value.status == -4


def test_memory_report_names_the_peak() -> None:
    it = interp.Interpreter(model_content=default_model.build())
    report = it.memory_report()
    assert "<- peak" in report and f"arena {it.arena_bytes} B" in report


def test_flash_counts_what_a_board_stores() -> None:
    """Host plans may carry SIMD-only packed filters; a flash budget plans the board's bytes."""
    from oracles import models_dir
    path = models_dir() / "vww_96_int8.tflite"
    board = interp.Interpreter(path, target="board")
    budgeted = interp.Interpreter(path, flash_budget="4m")
    assert budgeted.target == "board" and budgeted.const_bytes == board.const_bytes
    assert interp.Interpreter(path).const_bytes >= board.const_bytes
    with pytest.raises(interp.InputError):
        interp.Interpreter(path, target="mars")


def test_core_plans_add_only_their_kernels_constants() -> None:
    """A core's plan carries its DSP / Helium kernels' constants on top of the portable plan
    (the Cortex-M0+ one is the portable plan), and every plan computes the same outputs."""
    from oracles import models_dir
    path = models_dir() / "kws_ref_model.tflite"
    plans = {t: interp.Interpreter(path, target=t) for t in ("board", "cortex-m0plus", "cortex-m4",
                                                              "cortex-m55")}
    assert plans["cortex-m0plus"].const_bytes == plans["board"].const_bytes
    assert plans["cortex-m4"].const_bytes > plans["board"].const_bytes
    assert plans["cortex-m55"].const_bytes > plans["board"].const_bytes
    # a flash budget between the two: the core's plan leaves its kernels' constants out
    flash = interp.budget.memory_use(plans["cortex-m55"]._plan).flash_bytes - 1
    fitted = interp.Interpreter(path, target="cortex-m55", flash_budget=flash)
    assert fitted.const_bytes == plans["board"].const_bytes
    with pytest.raises(interp.BudgetError):
        interp.Interpreter(path, target="cortex-m4",
                           flash_budget=interp.budget.memory_use(plans["board"]._plan).flash_bytes - 1)
    x = np.random.default_rng(0).integers(-128, 128, (1, 49, 10, 1), np.int8)
    outs = {t: it.run({it.get_input_details()[0]["name"]: x}) for t, it in plans.items()}
    for t in outs:
        for name in outs["board"]:
            np.testing.assert_array_equal(outs[t][name], outs["board"][name], err_msg=t)


def _w16_bytes(plan: interp.plan.Plan) -> dict[int, int]:
    """conv_w16 bytes per graph op of a plan."""
    from interp.ops.conv import QK_OP_CONV2D, W16_SLOT
    return {op.op_index: plan.buffers[op.args[W16_SLOT]].nbytes for op in plan.ops
            if op.opcode == QK_OP_CONV2D and len(op.args) > W16_SLOT and op.args[W16_SLOT] >= 0}


def test_dsp_plan_over_flash_drops_int16_filters_first(monkeypatch) -> None:
    """A DSP plan over its flash budget leaves out its int16 conv filters (conv_w16) first,
    largest first, then all of them, and only then falls back to the portable plan."""
    from oracles import models_dir
    from interp.ops import conv as conv_lowering
    path = models_dir() / "kws_ref_model.tflite"
    flash = lambda it: interp.budget.memory_use(it._plan).flash_bytes  # noqa: E731
    full = interp.Interpreter(path, target="cortex-m4")
    sizes = _w16_bytes(full._plan)
    assert len(sizes) >= 2 and len(set(sizes.values())) >= 2
    # one byte over: the largest goes, the rest stay
    one = interp.Interpreter(path, target="cortex-m4", flash_budget=flash(full) - 1)
    kept = _w16_bytes(one._plan)
    (dropped,) = set(sizes) - set(kept)
    assert sizes[dropped] == max(sizes.values()) and kept == {i: sizes[i] for i in kept}
    # a later plan of the same graph searches afresh: none of those choices stays on its ops
    assert _w16_bytes(interp.plan.lower(one._graph, isa="dsp")) == sizes
    # just more than the largest over: the two largest go
    two = interp.Interpreter(path, target="cortex-m4",
                             flash_budget=flash(full) - max(sizes.values()) - 1)
    assert sorted(sizes.values())[:-2] == sorted(_w16_bytes(two._plan).values())
    # the DSP plan without them (its requant records stay) fits exactly its own size
    with monkeypatch.context() as m:
        m.setattr(conv_lowering, "W16_MIN_QUADS", 1 << 30)
        bare = interp.Interpreter(path, target="cortex-m4")
    assert _w16_bytes(bare._plan) == {}
    none = interp.Interpreter(path, target="cortex-m4", flash_budget=flash(bare))
    assert _w16_bytes(none._plan) == {} and none.const_bytes == bare.const_bytes
    board = interp.Interpreter(path, target="board")
    assert bare.const_bytes > board.const_bytes
    # one byte less: the portable plan
    portable = interp.Interpreter(path, target="cortex-m4", flash_budget=flash(bare) - 1)
    assert portable.const_bytes == board.const_bytes
    x = np.random.default_rng(1).integers(-128, 128, (1, 49, 10, 1), np.int8)
    outs = [it.run({it.get_input_details()[0]["name"]: x}) for it in (full, one, none, portable)]
    for o in outs[1:]:
        for name in outs[0]:
            np.testing.assert_array_equal(o[name], outs[0][name])


def test_cli_memory_report_and_plot(tmp_path) -> None:
    import subprocess
    import sys
    pytest.importorskip("matplotlib")
    png = tmp_path / "mem.png"
    p = subprocess.run([sys.executable, "-m", "interp", "inspect", "--memory", "--plot", str(png)],
                       capture_output=True, text=True, check=True)
    assert "<- peak" in p.stdout and png.stat().st_size > 1000
    p = subprocess.run([sys.executable, "-m", "interp", "run", "--ram", "100"], capture_output=True,
                       text=True)
    assert p.returncode == 2 and "BudgetError" in p.stderr and "Peak at op" in p.stderr
