"""Inputs and outputs of the command line, shared by the host and board runs."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .errors import InterpError


def random_inputs(details: Sequence[dict[str, Any]], seed: int) -> list[np.ndarray]:
    """Seeded inputs over each input's whole range (uniform [-1, 1) for floats): the same seed
    gives the same inputs on the host and on a board."""
    rng = np.random.default_rng(seed)
    arrays = []
    for d in details:
        dt = np.dtype(d["dtype"])
        shape = tuple(int(s) for s in d["shape"])
        arrays.append(rng.integers(np.iinfo(dt).min, np.iinfo(dt).max, shape, dt, endpoint=True)
                      if np.issubdtype(dt, np.integer) else rng.uniform(-1, 1, shape).astype(dt))
    return arrays


def load_inputs(paths: Sequence[str] | None, details: Sequence[dict[str, Any]], seed: int) -> list[np.ndarray]:
    """--input .npy/.npz files in input order, else random_inputs."""
    if not paths:
        return random_inputs(details, seed)
    arrays: list[np.ndarray] = []
    for p in paths:
        data = np.load(p)
        arrays += [data[k] for k in data.files] if isinstance(data, np.lib.npyio.NpzFile) else [data]
    if len(arrays) != len(details):
        raise InterpError(f"model has {len(details)} inputs, got {len(arrays)} arrays")
    return arrays


def report_outputs(outs: dict[str, np.ndarray], arena_bytes: int, const_bytes: int,
                   path: str | None) -> None:
    """Print the outputs and sizes; save them to `path` (.npy for one output, else .npz)."""
    with np.printoptions(threshold=64, edgeitems=8, linewidth=100):
        for name, y in outs.items():
            print(f"output {name!r} {y.dtype.name}{list(y.shape)}:\n{y}")
    print(f"arena bytes: {arena_bytes}   constant bytes: {const_bytes}")
    if path:
        if len(outs) == 1:
            np.save(path, next(iter(outs.values())))
        else:
            np.savez(path, **outs)
        print(f"saved outputs to {path}")
