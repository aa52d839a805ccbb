"""Constant folding at load: shape-only chains (SHAPE -> STRIDED_SLICE/PACK -> RESHAPE) on static
shapes become constants, so no board ever runs them."""
from __future__ import annotations

from .graph import Graph


def fold_constants(graph: Graph) -> Graph:
    """TODO(stub): returns the graph unchanged until the layout family fills it in."""
    return graph
