"""SVDF: differential tests against tflite-micro over several invokes (the state persists)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import interp
from interp.writer import ModelWriter
from oracles import _missing, run_litert

ACTIVATIONS = [0, 1, 2, 3]  # the integer SVDF ignores the fused activation, as TFLM does


def svdf_model(rng: np.random.Generator, *, state_dtype: type, batches: int, n_input: int,
               units: int, rank: int, memory: int, in_scale: float, in_zp: int, wf_scale: float,
               state_scale: float, state_zp: int, wt_scale: float, out_scale: float, out_zp: int,
               act: int, bias: bool = True, state_variable: bool = True,
               wt_dtype: type | None = None) -> bytes:
    n_filter = units * rank
    wt_dtype = wt_dtype or state_dtype
    tmax = 127 if wt_dtype == np.int8 else 32767
    w = ModelWriter()
    x = w.tensor((batches, n_input), np.int8, scale=in_scale, zero_point=in_zp)
    wf = w.tensor((n_filter, n_input), np.int8, data=rng.integers(-127, 128, (n_filter, n_input)),
                  scale=wf_scale)
    wt = w.tensor((n_filter, memory), wt_dtype, data=rng.integers(-tmax, tmax + 1, (n_filter, memory)),
                  scale=wt_scale)
    b = -1
    if bias:
        smax = 127 if state_dtype == np.int8 else 32767
        lim = tmax * smax * 2  # about the spread of the time-weight sums
        b = w.tensor((units,), np.int32, data=rng.integers(-lim, lim, units),
                     scale=float(np.float32(state_scale) * np.float32(wt_scale)))
    s = w.tensor((batches, memory * n_filter), state_dtype, scale=state_scale, zero_point=state_zp,
                 is_variable=state_variable)
    y = w.tensor((batches, units), np.int8, scale=out_scale, zero_point=out_zp)
    w.op("SVDF", [x, wf, wt, b, s], [y], {"rank": rank, "fused_activation_function": act},
         version=3 if state_dtype == np.int8 else 1)
    w.inputs, w.outputs = [x], [y]
    return w.to_bytes()


def run_steps(model: bytes, xs: list[np.ndarray], reset_at: int | None,
              oracle: str = "tflm", n_out: int = 1) -> list[np.ndarray]:
    """Invoke once per input, resetting the state before step `reset_at`; the outputs of each
    step are flattened and concatenated."""
    outs = []
    if oracle == "tflm":
        try:
            from tflite_micro.python.tflite_micro import runtime
        except ImportError:
            _missing("tflite-micro")
        t = runtime.Interpreter.from_bytes(model, arena_size=1 << 20)
        for i, x in enumerate(xs):
            if i == reset_at:
                t.reset()
            t.set_input(x, 0)
            t.invoke()
            outs.append(np.concatenate([np.array(t.get_output(k)).ravel() for k in range(n_out)]))
    elif oracle == "litert":
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
        it = Interpreter(model_content=model, num_threads=1,
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
        it.allocate_tensors()
        for i, x in enumerate(xs):
            if i == reset_at:
                it.reset_all_variables()
            it.set_tensor(it.get_input_details()[0]["index"], x)
            it.invoke()
            outs.append(np.concatenate([it.get_tensor(d["index"]).ravel()
                                        for d in it.get_output_details()]))
    else:
        ours = interp.Interpreter(model_content=model)
        xin = ours.get_input_details()[0]["index"]
        for i, x in enumerate(xs):
            if i == reset_at:
                ours.reset_all_variables()
            ours.set_tensor(xin, x)
            ours.invoke()
            outs.append(np.concatenate([ours.get_tensor(d["index"]).ravel()
                                        for d in ours.get_output_details()]))
    return outs


def _log_uniform(draw: st.DrawFn, lo: float, hi: float) -> float:
    return float(10 ** draw(st.floats(np.log10(lo), np.log10(hi))))


@st.composite
def svdf_case(draw: st.DrawFn, state_dtype: type) -> tuple[bytes, list[np.ndarray], int | None]:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    batches = draw(st.integers(1, 3))
    n_input = draw(st.integers(1, 24))
    units = draw(st.integers(1, 8))
    rank = draw(st.integers(1, 3))
    memory = draw(st.integers(1, 10))
    smax = 127 if state_dtype == np.int8 else 32767
    in_scale = _log_uniform(draw, 1e-3, 1.0)
    wf_scale = _log_uniform(draw, 1e-3, 0.1)
    state_scale = in_scale * wf_scale * 127 * 128 * np.sqrt(n_input) * _log_uniform(draw, 1e-2, 3) / smax
    wt_scale = _log_uniform(draw, 1e-4, 0.1)
    out_scale = (state_scale * wt_scale * smax * (127 if state_dtype == np.int8 else 32767)
                 * np.sqrt(memory * rank) * _log_uniform(draw, 1e-3, 3) / 127)
    zp8 = st.sampled_from([-128, -127, -1, 0, 1, 126, 127]) | st.integers(-128, 127)
    if state_dtype == np.int8:
        state_zp = draw(zp8)
    else:
        state_zp = draw(st.sampled_from([0, 0, 0, 5, -300, 20000]))
    model = svdf_model(rng, state_dtype=state_dtype, batches=batches, n_input=n_input, units=units,
                       rank=rank, memory=memory, in_scale=in_scale, in_zp=draw(zp8),
                       wf_scale=wf_scale, state_scale=state_scale, state_zp=state_zp,
                       wt_scale=wt_scale, out_scale=out_scale, out_zp=draw(zp8),
                       act=draw(st.sampled_from(ACTIVATIONS)), bias=True)
    steps = draw(st.integers(1, memory + 3))
    xs = [rng.integers(-128, 128, (batches, n_input)).astype(np.int8) for _ in range(steps)]
    reset_at = draw(st.none() | st.integers(1, steps))
    return model, xs, reset_at


@given(svdf_case(np.int16))
def test_svdf_int16_state_matches_tflm(case: tuple[bytes, list[np.ndarray], int | None]) -> None:
    model, xs, reset_at = case
    want = run_steps(model, xs, reset_at, "tflm")
    got = run_steps(model, xs, reset_at, "ours")
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


@given(svdf_case(np.int8))
def test_svdf_int8_state_matches_tflm(case: tuple[bytes, list[np.ndarray], int | None]) -> None:
    # No LiteRT here: its SVDF crashes the process on int8 state.
    model, xs, reset_at = case
    want = run_steps(model, xs, reset_at, "tflm")
    got = run_steps(model, xs, reset_at, "ours")
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_svdf_int16_state_matches_litert() -> None:
    """Second oracle on the keyword_scrambled configuration (int16 state, zero points 0)."""
    rng = np.random.default_rng(5)
    model = svdf_model(rng, state_dtype=np.int16, batches=1, n_input=16, units=64, rank=1,
                       memory=8, in_scale=0.43, in_zp=-7, wf_scale=0.0052, state_scale=0.0018,
                       state_zp=0, wt_scale=0.0017, out_scale=0.13, out_zp=-128, act=1)
    xs = [rng.integers(-128, 128, (1, 16)).astype(np.int8) for _ in range(12)]
    ours = run_steps(model, xs, None, "ours")
    want = run_steps(model, xs, None, "tflm")
    for g, w in zip(ours, want):
        np.testing.assert_array_equal(g, w)
    try:
        import ai_edge_litert  # noqa: F401
    except ImportError:
        _missing("ai-edge-litert")
    for g, w in zip(ours, run_steps(model, xs, None, "litert")):
        np.testing.assert_array_equal(g, w)
    assert np.array_equal(run_litert(model, xs[:1])[0].ravel(), ours[0])


def test_svdf_state_saturates_then_zero_point_wraps() -> None:
    """int8 state with an extreme zero point: TFLM clamps, then adds the zero point and narrows."""
    rng = np.random.default_rng(9)
    for state_zp in (-128, -100, 90, 127):
        model = svdf_model(rng, state_dtype=np.int8, batches=2, n_input=8, units=3, rank=2,
                           memory=4, in_scale=0.5, in_zp=0, wf_scale=0.05, state_scale=0.01,
                           state_zp=state_zp, wt_scale=0.01, out_scale=0.05, out_zp=3, act=0)
        xs = [rng.integers(-128, 128, (2, 8)).astype(np.int8) for _ in range(6)]
        for g, w in zip(run_steps(model, xs, 3, "ours"), run_steps(model, xs, 3, "tflm")):
            np.testing.assert_array_equal(g, w)


def test_svdf_multi_op_chain() -> None:
    """SVDF -> FULLY_CONNECTED -> SVDF, as keyword_scrambled stacks them."""
    rng = np.random.default_rng(13)
    w = ModelWriter()
    x = w.tensor((1, 12), np.int8, scale=0.2, zero_point=-5)
    wf1 = w.tensor((8, 12), np.int8, data=rng.integers(-127, 128, (8, 12)), scale=0.01)
    wt1 = w.tensor((8, 5), np.int16, data=rng.integers(-20000, 20000, (8, 5)), scale=0.002)
    b1 = w.tensor((8,), np.int32, data=rng.integers(-10000, 10000, 8),
                  scale=float(np.float32(0.004) * np.float32(0.002)))
    s1 = w.tensor((1, 40), np.int16, scale=0.004, is_variable=True)
    h1 = w.tensor((1, 8), np.int8, scale=0.1, zero_point=-128)
    wfc = w.tensor((6, 8), np.int8, data=rng.integers(-127, 128, (6, 8)), scale=0.02)
    h2 = w.tensor((1, 6), np.int8, scale=0.08, zero_point=2)
    wf2 = w.tensor((6, 6), np.int8, data=rng.integers(-127, 128, (6, 6)), scale=0.01)
    wt2 = w.tensor((6, 3), np.int8, data=rng.integers(-127, 128, (6, 3)), scale=0.01)
    b2 = w.tensor((3,), np.int32, data=rng.integers(-100, 100, 3),
                  scale=float(np.float32(0.05) * np.float32(0.01)))
    s2 = w.tensor((1, 18), np.int8, scale=0.05, zero_point=-20, is_variable=True)
    y = w.tensor((1, 3), np.int8, scale=0.05, zero_point=1)
    w.op("SVDF", [x, wf1, wt1, b1, s1], [h1], {"rank": 1, "fused_activation_function": 1})
    w.op("FULLY_CONNECTED", [h1, wfc, -1], [h2], {}, version=4)
    w.op("SVDF", [h2, wf2, wt2, b2, s2], [y], {"rank": 2, "fused_activation_function": 0},
         version=3)
    w.inputs, w.outputs = [x], [y]
    model = w.to_bytes()
    xs = [rng.integers(-128, 128, (1, 12)).astype(np.int8) for _ in range(10)]
    for g, want in zip(run_steps(model, xs, 6, "ours"), run_steps(model, xs, 6, "tflm")):
        np.testing.assert_array_equal(g, want)


def _small(**kw: object) -> bytes:
    args: dict = dict(state_dtype=np.int16, batches=1, n_input=4, units=2, rank=1, memory=3,
                      in_scale=0.1, in_zp=0, wf_scale=0.1, state_scale=0.1, state_zp=0,
                      wt_scale=0.1, out_scale=0.1, out_zp=0, act=0)
    args.update(kw)
    return svdf_model(np.random.default_rng(0), **args)  # type: ignore[arg-type]


def test_svdf_errors() -> None:
    with pytest.raises(interp.ModelError):  # the state must be a variable tensor
        interp.Interpreter(model_content=_small(state_variable=False))
    with pytest.raises(interp.UnsupportedOperatorError):  # weights_time type != state type
        interp.Interpreter(model_content=_small(wt_dtype=np.int8))
    # rank must divide the filter count: build a model whose output claims units = filters / 2
    w = ModelWriter()
    x = w.tensor((1, 4), np.int8, scale=0.1)
    wf = w.tensor((3, 4), np.int8, data=np.ones((3, 4)), scale=0.1)
    wt = w.tensor((3, 2), np.int16, data=np.ones((3, 2)), scale=0.1)
    s = w.tensor((1, 6), np.int16, scale=0.1, is_variable=True)
    y = w.tensor((1, 1), np.int8, scale=0.1)
    w.op("SVDF", [x, wf, wt, -1, s], [y], {"rank": 2})
    w.inputs, w.outputs = [x], [y]
    with pytest.raises(interp.ModelError):
        interp.Interpreter(model_content=w.to_bytes())
    # float SVDF is not supported
    w = ModelWriter()
    x = w.tensor((1, 4), np.float32)
    wf = w.tensor((2, 4), np.float32, data=np.ones((2, 4)))
    wt = w.tensor((2, 2), np.float32, data=np.ones((2, 2)))
    s = w.tensor((1, 4), np.float32, is_variable=True)
    y = w.tensor((1, 2), np.float32)
    w.op("SVDF", [x, wf, wt, -1, s], [y], {"rank": 1})
    w.inputs, w.outputs = [x], [y]
    with pytest.raises(interp.UnsupportedOperatorError):
        interp.Interpreter(model_content=w.to_bytes())


def test_svdf_without_bias_runs() -> None:
    """TFLM's Prepare dereferences the bias, so a bias-less SVDF has no oracle; we treat it as 0."""
    rng = np.random.default_rng(2)
    with_bias = _small(bias=True)
    no_bias = _small(bias=False)
    xs = [rng.integers(-128, 128, (1, 4)).astype(np.int8) for _ in range(3)]
    out = run_steps(no_bias, xs, None, "ours")
    assert all(o.shape == (2,) and o.dtype == np.int8 for o in out)
    assert len(run_steps(with_bias, xs, None, "ours")) == 3


def _section_model(path: str, names: tuple[str, ...]) -> tuple[bytes, tuple[int, ...]]:
    """Re-write the contiguous run of `names` ops of a real model as a model of its own."""
    from interp.loader import load
    g = load(path)
    ops = [op for op in g.operators if op.name in names]
    w = ModelWriter()
    ids: dict[int, int] = {}

    def tid(t: interp.graph.Tensor | None) -> int:
        if t is None:
            return -1
        if t.index not in ids:
            q = t.quant
            ids[t.index] = w.tensor(t.shape, t.dtype, name=t.name, data=t.data,
                                    scale=list(q.scale) if q else None,
                                    zero_point=list(q.zero_point) if q else None,
                                    axis=q.axis if q else 0, is_variable=t.is_variable)
        return ids[t.index]

    for op in ops:
        w.op(op.name, [tid(t) for t in op.inputs], [tid(t) for t in op.outputs],
             {k: v for k, v in op.options.items()}, version=op.version)
    # every op's output is a model output, so the intermediate activations are compared too
    w.inputs, w.outputs = [tid(ops[0].inputs[0])], [tid(op.outputs[0]) for op in ops]
    return w.to_bytes(), ops[0].inputs[0].shape


@pytest.mark.parametrize("name", ["keyword_scrambled", "keyword_scrambled_8bit"])
def test_keyword_scrambled_svdf_section_matches_tflm(name: str) -> None:
    """The SVDF + FULLY_CONNECTED body of the real models (their QUANTIZE/SOFTMAX ends are
    other families' ops), 12 invokes with a reset, against TFLM."""
    from oracles import models_dir
    model, shape = _section_model(str(models_dir() / f"{name}.tflite"),
                                  ("SVDF", "FULLY_CONNECTED"))
    rng = np.random.default_rng(1)
    xs = [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(12)]
    n_out = len(interp.Interpreter(model_content=model).get_output_details())
    ours = run_steps(model, xs, 8, "ours")
    for g, want in zip(ours, run_steps(model, xs, 8, "tflm", n_out)):
        np.testing.assert_array_equal(g, want)
    # the weights are scrambled: TFLM saturates nearly every layer too, even on the golden inputs
    assert len(np.unique(np.concatenate(ours))) > 1


@pytest.mark.parametrize("state_dtype", [np.int8, np.int16])
@pytest.mark.parametrize("seed", range(20))
def test_svdf_scales_are_double_products(state_dtype: type, seed: int) -> None:
    """Scale ratios that are powers of two in double but not in float32 arithmetic put requant
    results on rounding ties: TFLM matches the double products (found by a long hypothesis run,
    state value 127 vs -128)."""
    rng = np.random.default_rng(seed)
    f32 = np.float32
    s_in = float(f32(rng.choice([0.1, 0.3, 0.05, 0.7, 0.2]) * rng.uniform(0.5, 2)))
    s_wf = float(f32(rng.choice([0.01, 0.003, 0.02])))
    s_state = float(f32(s_in * s_wf * 2.0 ** float(rng.integers(-2, 5))))
    s_wt = float(f32(rng.choice([0.1, 0.03, 0.01])))
    s_out = float(f32(s_state * s_wt * 2.0 ** float(rng.integers(3, 9))))
    model = svdf_model(rng, state_dtype=state_dtype, batches=256, n_input=1, units=3, rank=1,
                       memory=2, in_scale=s_in, in_zp=-128, wf_scale=s_wf, state_scale=s_state,
                       state_zp=5 if state_dtype == np.int8 else 0, wt_scale=s_wt,
                       out_scale=s_out, out_zp=-3, act=0)
    x = np.arange(-128, 128, dtype=np.int8).reshape(256, 1)
    xs = [x, x[::-1].copy()]
    for got, want in zip(run_steps(model, xs, None, "ours"), run_steps(model, xs, None, "tflm")):
        np.testing.assert_array_equal(got, want)
