"""Lowering a verified Graph to a Plan: the int32 op table, the constant blob and the arena layout.

Each op family in interp/ops registers a lowering function `lower(op, pb)` that reads the op's
tensors and options, precomputes integer parameters, and calls `pb.emit(opcode, args)` with
tensor ids from `pb.tensor(...)`, `pb.const(...)` or `pb.scratch(...)`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .errors import ModelError, UnsupportedOperatorError
from .graph import Graph, Operator, Tensor
from .planner import ALIGN, ArenaLayout, align, place

OPTIMIZE = ("speed", "memory")
QK_PLAN_MAGIC = 0x31504B51
QK_ARENA, QK_CONST = 0, 1

# Dtype codes shared with qk.h.
DTYPE_CODES = {np.dtype(np.float32): 0, np.dtype(np.int32): 2, np.dtype(np.uint8): 3,
               np.dtype(np.int64): 4, np.dtype(np.bool_): 6, np.dtype(np.int16): 7,
               np.dtype(np.int8): 9}

Lowering = Callable[[Operator, "PlanBuilder"], None]
LOWERINGS: dict[str, Lowering] = {}


def register(*names: str) -> Callable[[Lowering], Lowering]:
    """Decorator: the function lowers the TFLite ops `names`."""
    def deco(fn: Lowering) -> Lowering:
        for n in names:
            LOWERINGS[n] = fn
        return fn
    return deco


@dataclass(eq=False)
class Buffer:
    """One plan tensor: a constant blob slice or an arena buffer with a lifetime in op steps."""

    nbytes: int
    name: str
    const: np.ndarray | None = None  # bytes for constants
    first: int = -1  # first and last op step using it (arena buffers)
    last: int = -1
    offset: int = -1
    share: Buffer | None = None  # computed in place: this buffer reuses `share`'s bytes
    scratch: bool = False  # an op's working memory, live during that op only

    @property
    def in_arena(self) -> bool:
        return self.const is None


@dataclass
class PlannedOp:
    opcode: int
    args: list[int]
    op_index: int  # the graph operator it came from
    name: str


@dataclass
class Plan:
    words: np.ndarray  # int32 plan for qk_plan_run
    consts: np.ndarray  # uint8 constant blob
    arena_bytes: int
    buffers: list[Buffer]
    tensor_buffer: dict[int, int]  # graph tensor index -> buffer id
    ops: list[PlannedOp]
    lower_bound: int  # largest total of bytes live at one op step
    peak_step: int  # op step where that happens
    guards: np.ndarray  # debug mode: int32 [n, 4] {offset, bytes, first op, last op} guard regions
    states: list[int] = field(default_factory=list)  # op-state buffer ids, zeroed on reset


# The instruction set a plan is for: its lowerings may add constants only that set's kernels
# read. "host": this machine's SIMD paths (interp/ops/conv.py, HOST_GEMM); "dsp": the Cortex-M
# DSP extension (M4, M7, M33); "mve": Helium (M55); "portable": none (any build runs any plan,
# ignoring what it does not use).
ISAS = ("host", "portable", "dsp", "mve")
CORE_ISA = {"cortex-m0": "portable", "cortex-m0plus": "portable", "cortex-m3": "portable",
            "cortex-m4": "dsp", "cortex-m7": "dsp", "cortex-m33": "dsp", "cortex-m55": "mve"}


# Op options the planner's searches set (_shrink, _fit_strips, _drop_w16), not the model's.
PLAN_CHOICES = ("in_place", "lean", "dw_strip", "no_w16")


class PlanBuilder:
    def __init__(self, graph: Graph, isa: str = "host") -> None:
        if isa not in ISAS:
            raise ValueError(f"isa must be one of {ISAS}, not {isa!r}")
        self.graph = graph
        self.isa = isa
        self.host_simd = isa == "host"  # may add constants only the host's SIMD kernels read
        self.buffers: list[Buffer] = []
        self.tensor_buffer: dict[int, int] = {}
        self.ops: list[PlannedOp] = []
        self.current: Operator | None = None
        self._in_place: list[tuple[int, int, int]] = []  # (out buffer, src buffer, op step)
        self.states: list[int] = []  # op-internal state buffers (pb.state)

    # -- tensors -------------------------------------------------------------------------
    def tensor(self, t: Tensor | None) -> int:
        """Plan id of a graph tensor (-1 for an absent optional input), marking its use now."""
        if t is None:
            return -1
        bid = self.tensor_buffer.get(t.index)
        if bid is None:
            if t.is_const and not t.is_variable:
                bid = self._add(Buffer(t.nbytes, t.name, const=_as_bytes(t.data)))
            else:
                bid = self._add(Buffer(t.nbytes, t.name))
            self.tensor_buffer[t.index] = bid
        self._use(bid)
        return bid

    def const(self, values: np.ndarray, name: str = "param") -> int:
        """A constant made by lowering (multipliers, shifts, tables)."""
        return self._add(Buffer(values.nbytes, name, const=_as_bytes(values)))

    def scratch(self, nbytes: int, name: str = "scratch") -> int:
        """An arena buffer live only during the current op."""
        bid = self._add(Buffer(nbytes, name, scratch=True))
        self._use(bid)
        return bid

    def state(self, nbytes: int, name: str = "state") -> int:
        """An arena buffer for op-internal state (TFLM's persistent buffers): live for the whole
        invoke, kept between invokes, zeroed by Interpreter.reset_all_variables()."""
        bid = self._add(Buffer(nbytes, name))
        self.states.append(bid)
        self._use(bid)
        return bid

    def alias(self, out: Tensor, src: Tensor) -> None:
        """Let `out` share `src`'s storage (reshape-like ops: same bytes, new shape)."""
        if out.nbytes != src.nbytes:
            raise ModelError(f"cannot alias {out.describe()} to {src.describe()}: sizes differ")
        if out.index in self.tensor_buffer:
            raise ModelError(f"{out.describe()} is produced twice")
        self.tensor_buffer[out.index] = self.tensor(src)

    def in_place(self, out: Tensor, src: Tensor) -> None:
        """The current op may write `out` over `src`, starting at src's first byte (elementwise:
        out[i] depends only on src[i], read before out[i] is written; or a kernel built for it).
        Applied when this op is src's last use."""
        if out.nbytes <= src.nbytes and src.index in self.tensor_buffer:
            self._in_place.append((self.tensor(out), self.tensor_buffer[src.index], len(self.ops)))

    def emit(self, opcode: int, args: list[int]) -> None:
        assert self.current is not None
        words = [int(a) for a in args]
        for a in words:
            if not -(2**31) <= a < 2**31:
                raise ModelError(f"{self.current.describe()}: parameter {a} does not fit in int32")
        self.ops.append(PlannedOp(opcode, words, self.current.index, self.current.name))

    def _add(self, b: Buffer) -> int:
        self.buffers.append(b)
        return len(self.buffers) - 1

    def _use(self, bid: int) -> None:
        b = self.buffers[bid]
        if b.in_arena:
            step = len(self.ops)
            b.first = step if b.first < 0 else min(b.first, step)
            b.last = max(b.last, step)


def _as_bytes(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).reshape(-1).view(np.uint8)


def lower(graph: Graph, guard: int = 0, optimize: str = "speed", ram_budget: int | None = None,
          isa: str = "host", flash_budget: int | None = None) -> Plan:
    """Lower every op; collect every unsupported op into one UnsupportedOperatorError.

    optimize="speed" uses the fast kernels everywhere. optimize="memory" then swaps the op at the
    arena's peak for a slower form that needs fewer bytes (in-place depthwise, or the op without
    its fast-path scratch: "lean") and replans, while the arena shrinks. With a ram_budget, a
    speed plan that does not fit is shrunk the same way until it fits.
    guard > 0 (debug) leaves that many guard bytes on each side of every arena buffer.
    isa (ISAS): the kernels the plan is for; only theirs get extra constants (packed filters,
    requant records), so a board's plan is exactly what that board stores.
    flash_budget: a DSP plan over it leaves out its int16 filters (conv_w16, the largest
    constants it adds), largest first, until it fits or none is left.
    """
    from . import ops  # noqa: F401  (registers the lowerings)
    from .fold import fold_constants
    from .fuse import fuse_pad_into_conv

    if optimize not in OPTIMIZE:
        raise ValueError(f"optimize must be one of {OPTIMIZE}, not {optimize!r}")
    graph = fuse_pad_into_conv(fold_constants(graph))
    for op in graph.operators:  # each plan searches afresh: forget an earlier plan's choices
        for choice in PLAN_CHOICES:
            op.options.pop(choice, None)
    plan = _lower_once(graph, guard, isa)
    if isa == "mve":
        plan = _fit_strips(graph, plan, guard, isa)
    if optimize == "memory" or (ram_budget is not None and plan.arena_bytes > ram_budget):
        plan = _shrink(graph, plan, guard, None if optimize == "memory" else ram_budget, isa)
    if flash_budget is not None and isa == "dsp":
        plan = _drop_w16(graph, plan, guard, isa, flash_budget)
    return plan


def _fit_strips(graph: Graph, plan: Plan, guard: int, isa: str) -> Plan:
    """Helium depthwise ops' strips (qk__dw_mve) only where the arena has room: from the plan
    without them, each op (in order) gets its whole strip, or else one the size of the largest
    hole in the arena at its step, if the arena does not grow."""
    dws = [op for op in graph.operators if op.name == "DEPTHWISE_CONV_2D"]
    for op in dws:
        op.options["dw_strip"] = 0
    cur = _lower_once(graph, guard, isa)
    if cur.arena_bytes >= plan.arena_bytes:
        for op in dws:
            del op.options["dw_strip"]
        return plan
    for op in dws:
        step = next(s for s, p in enumerate(cur.ops) if p.op_index == op.index)
        full, none = (next((b.nbytes for b in pl.buffers if b.scratch and b.first == step), 0)
                      for pl in (plan, cur))
        if full <= none:  # no strip, or one the scratch already holds
            continue
        tries: list[int | None] = [None]
        hole = _largest_hole(cur, step)
        if hole > none:  # the strip after zrow (in_c bytes)
            tries.append(hole - op.inputs[0].shape[3])
        for budget in tries:
            op.options["dw_strip"] = budget
            trial = _lower_once(graph, guard, isa)
            if trial.arena_bytes <= cur.arena_bytes:
                cur = trial
                break
            op.options["dw_strip"] = 0
    return cur


def _largest_hole(plan: Plan, step: int) -> int:
    """The largest run of arena bytes free at `step` but for its op's scratch."""
    used = sorted((b.offset, b.offset + align(b.nbytes)) for b in plan.buffers
                  if b.in_arena and not b.scratch and b.first <= step <= b.last)
    best, at = 0, 0
    for start, end in used + [(plan.arena_bytes, plan.arena_bytes)]:
        best, at = max(best, start - at), max(at, end)
    return best


def _drop_w16(graph: Graph, plan: Plan, guard: int, isa: str, flash: int) -> Plan:
    """Leave out the plan's conv_w16 constants, largest first, until it fits `flash` bytes."""
    from .budget import memory_use
    from .ops.conv import QK_OP_CONV2D, W16_SLOT

    while (over := memory_use(plan).flash_bytes - flash) > 0:
        w16 = sorted(((plan.buffers[op.args[W16_SLOT]].nbytes, op.op_index) for op in plan.ops
                      if op.opcode == QK_OP_CONV2D and len(op.args) > W16_SLOT
                      and op.args[W16_SLOT] >= 0), reverse=True)
        if not w16:
            break
        for nbytes, index in w16:  # the fewest largest ones that cover the excess
            next(o for o in graph.operators if o.index == index).options["no_w16"] = True
            over -= nbytes
            if over <= 0:
                break
        plan = _lower_once(graph, guard, isa)
    return plan


def _shrink(graph: Graph, plan: Plan, guard: int, enough: int | None, isa: str) -> Plan:
    """Apply memory moves at the peak op while they shrink the arena (or until it is `enough`)."""
    from .ops.conv_inplace import eligible

    tried: set[tuple[int, str]] = set()
    while plan.ops and (enough is None or plan.arena_bytes > enough):
        op = next(o for o in graph.operators if o.index == plan.ops[plan.peak_step].op_index)
        moves = [m for m in ("in_place", "lean") if (op.index, m) not in tried
                 and (m != "in_place" or eligible(op))
                 and (m != "lean" or _has_scratch(plan, plan.peak_step))]
        if not moves:
            break
        tried.add((op.index, moves[0]))
        op.options[moves[0]] = True
        trial = _lower_once(graph, guard, isa)
        if trial.arena_bytes < plan.arena_bytes:
            plan = trial
        else:
            del op.options[moves[0]]
    return plan


def _has_scratch(plan: Plan, step: int) -> bool:
    return any(b.scratch and b.first == step for b in plan.buffers)


def _lower_once(graph: Graph, guard: int, isa: str) -> Plan:
    pb = PlanBuilder(graph, isa)
    for t in graph.inputs + graph.variables:
        pb.tensor(t)
    problems = []
    for op in graph.operators:
        fn = LOWERINGS.get(op.name)
        if fn is None:
            problems.append(f"{op.describe()}: operator not supported")
            continue
        pb.current = op
        try:
            fn(op, pb)
        except UnsupportedOperatorError as e:
            problems.extend(e.problems)
    if problems:
        raise UnsupportedOperatorError(problems)
    end = max(len(pb.ops) - 1, 0)
    for t in graph.outputs:
        pb.tensor(t)
    # As in TFLM, inputs live from the start to their last use (set them before every invoke),
    # outputs from their producer to the end, and state for the whole invoke.
    for t in graph.inputs + graph.variables:
        b = pb.buffers[pb.tensor_buffer[t.index]]
        b.first = 0
    for t in graph.outputs + graph.variables:
        b = pb.buffers[pb.tensor_buffer[t.index]]
        b.last = end
    for bid in pb.states:  # op-internal state: live for the whole invoke, never shared
        pb.buffers[bid].first, pb.buffers[bid].last = 0, end
    for b in pb.buffers:
        b.first, b.last = min(b.first, end), min(b.last, end)
    pinned = {pb.tensor_buffer[t.index] for t in graph.outputs + graph.variables} | set(pb.states)
    _share_in_place(pb, pinned)
    layout = place([b for b in pb.buffers if b.in_arena and b.share is None], guard)
    for b in pb.buffers:
        if b.share is not None:
            b.offset = b.share.offset
    return _assemble(pb, layout, guard)


def _share_in_place(pb: PlanBuilder, pinned: set[int]) -> None:
    """Merge in-place outputs into their sources where the op is the source's last use.

    A merged group occupies one slot whose lifetime is the union of its members'. Graph outputs
    and state are never overwritten (pinned); inputs may be, as TFLM reuses them too.
    """
    for out_id, src_id, step in pb._in_place:
        out, src = pb.buffers[out_id], pb.buffers[src_id]
        root = src.share or src
        members = [b for b in pb.buffers if b is root or b.share is root]
        if (not src.in_arena or out.share is not None or out is root or src_id in pinned
                or any(pb.buffers.index(m) in pinned for m in members if m is not root)
                or pb.buffers.index(root) in pinned or max(m.last for m in members) != step):
            continue
        out.share = root
        root.last = max(root.last, out.last)
        root.first = min(root.first, out.first)


def _assemble(pb: PlanBuilder, layout: ArenaLayout, guard: int) -> Plan:
    arena_bytes = layout.arena_bytes
    blob = bytearray()
    table = []
    for b in pb.buffers:
        if b.in_arena:
            table += [QK_ARENA, b.offset, b.nbytes]
        else:
            assert b.const is not None
            b.offset = len(blob)
            blob += b.const.tobytes()
            blob += bytes(align(len(blob)) - len(blob))
            table += [QK_CONST, b.offset, b.nbytes]
    words = [QK_PLAN_MAGIC, len(pb.buffers), len(pb.ops), arena_bytes] + table
    for op in pb.ops:
        words += [op.opcode, len(op.args)] + op.args
    guards = [g for b in pb.buffers if b.in_arena and guard
              for g in ((b.offset - guard, guard, b.first, b.last),
                        (b.offset + b.nbytes, guard, b.first, b.last))]
    return Plan(np.array(words, np.int32), np.frombuffer(bytes(blob), np.uint8), arena_bytes,
                pb.buffers, pb.tensor_buffer, pb.ops, layout.lower_bound, layout.peak_step,
                np.array(guards, np.int32).reshape(-1, 4), pb.states)
