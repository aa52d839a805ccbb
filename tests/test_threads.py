"""Two Interpreters used from two threads at once give the same results as one at a time.

The executor keeps no global state: everything an invoke touches lives in its own arena, and
cffi releases the GIL for the duration of the C call, so threads really overlap.
"""
from __future__ import annotations

import threading

import numpy as np

import interp
from interp import default_model


def test_two_interpreters_in_two_threads_match_sequential_runs() -> None:
    model = default_model.build()
    rng = np.random.default_rng(3)
    inputs = [[rng.integers(-128, 128, (1, 128), np.int8) for _ in range(200)] for _ in range(2)]
    expected = []
    ref = interp.Interpreter(model_content=model)
    for xs in inputs:
        expected.append([ref.run([x])["reconstruction"] for x in xs])
    results: list[list[np.ndarray]] = [[], []]
    barrier = threading.Barrier(2)

    def work(k: int) -> None:
        it = interp.Interpreter(model_content=model)
        barrier.wait()
        for x in inputs[k]:
            results[k].append(it.run([x])["reconstruction"])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(2):
        assert len(results[k]) == len(expected[k])
        for got, want in zip(results[k], expected[k]):
            np.testing.assert_array_equal(got, want)
