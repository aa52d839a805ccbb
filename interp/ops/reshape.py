"""RESHAPE, SQUEEZE, EXPAND_DIMS: the same bytes under a new shape, so no op runs at all."""
from __future__ import annotations

from ..errors import ModelError
from ..graph import Operator
from ..plan import PlanBuilder, register


@register("RESHAPE", "SQUEEZE", "EXPAND_DIMS")
def lower_reshape(op: Operator, pb: PlanBuilder) -> None:
    src, out = op.inputs[0], op.outputs[0]
    if src is None or src.dtype != out.dtype or src.size != out.size:
        raise ModelError(f"{op.describe()}: output must hold the input's elements in the same type")
    pb.alias(out, src)
