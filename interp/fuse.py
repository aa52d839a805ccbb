"""Graph fusions that save arena memory without changing a single output bit.

PAD -> CONV_2D / DEPTHWISE_CONV_2D: converters (and PyTorch exports) often pad explicitly and then
convolve with VALID padding. The padded tensor exists only to be read by the convolution, and the
padding value is the input's zero point, which contributes (zp - zp) * w = 0 to every sum: exactly
what the convolution contributes for a tap outside its input. So the convolution can read the
unpadded tensor with the pad folded into its own offsets, and the padded copy never exists.
"""
from __future__ import annotations

import numpy as np

from .graph import Graph, Operator

CONVS = ("CONV_2D", "DEPTHWISE_CONV_2D")


def _spatial_pads(pad: Operator) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) when PAD pads only H and W of a 4-D tensor with its zero point."""
    if pad.name != "PAD" or len(pad.inputs) != 2 or len(pad.outputs) != 1:
        return None
    x, paddings, out = pad.inputs[0], pad.inputs[1], pad.outputs[0]
    if x is None or paddings is None or paddings.data is None or len(x.shape) != 4:
        return None
    p = np.asarray(paddings.data).reshape(-1)
    if p.size != 8 or np.any(p < 0) or p[0] or p[1] or p[6] or p[7]:
        return None
    if x.dtype not in (np.int8, np.int16) or x.quant is None or out.quant is None:
        return None
    if x.quant != out.quant or (x.dtype == np.int16 and x.zero_point != 0):
        return None  # int8 pads with the zero point; int16 pads with 0, which must be its zero point
    return int(p[2]), int(p[3]), int(p[4]), int(p[5])


def fuse_pad_into_conv(graph: Graph) -> Graph:
    """Fold PAD into the one convolution that reads it (in place); returns the graph."""
    consumers: dict[int, list[Operator]] = {}
    for op in graph.operators:
        for t in op.inputs:
            if t is not None:
                consumers.setdefault(t.index, []).append(op)
    outputs = {t.index for t in graph.outputs}
    removed = set()
    for pad in graph.operators:
        pads = _spatial_pads(pad)
        if pads is None:
            continue
        out = pad.outputs[0]
        users = consumers.get(out.index, [])
        if out.index in outputs or len(users) != 1:
            continue
        conv = users[0]
        if (conv.name not in CONVS or conv.inputs[0] is not out or "fused_pad" in conv.options
                or any(t is out for t in conv.inputs[1:])):
            continue
        conv.inputs[0] = pad.inputs[0]
        conv.options["fused_pad"] = pads
        removed.add(id(pad))
    graph.operators = [op for op in graph.operators if id(op) not in removed]
    return graph
