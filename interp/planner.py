"""Arena planning: place buffers with known lifetimes into one arena, as small as we can make it.

Buffers are placed greedily, largest first, each at the lowest aligned offset that does not
overlap any already-placed buffer whose lifetime intersects its own (the "greedy by size" planner
that TFLM and TinyEngine use). Several orders are tried and the smallest arena kept. The lower
bound — the largest total of bytes live at one op step — is reported beside the plan, so the gap
is visible.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

ALIGN = 16


def align(n: int, a: int = ALIGN) -> int:
    return (n + a - 1) // a * a


class Placeable(Protocol):
    nbytes: int
    first: int
    last: int
    offset: int


@dataclass(frozen=True)
class ArenaLayout:
    arena_bytes: int
    lower_bound: int  # max over op steps of the aligned bytes live at that step
    peak_step: int  # an op step where the lower bound is reached


def live_bytes_per_step(buffers: Sequence[Placeable], guard: int = 0) -> list[int]:
    steps = max((b.last for b in buffers), default=-1) + 1
    live = [0] * steps
    for b in buffers:
        for s in range(b.first, b.last + 1):
            live[s] += align(b.nbytes + guard)
    return live


def _first_fit(order: Sequence[Placeable], guard: int) -> int:
    placed: list[tuple[int, int, int, int]] = []  # (offset, end, first, last), sorted by offset
    top = 0
    for b in order:
        size = align(b.nbytes + 2 * guard) if guard else align(b.nbytes)
        offset = 0
        for o_off, o_end, o_first, o_last in placed:
            if o_first > b.last or b.first > o_last:
                continue
            if offset + size <= o_off:
                break
            offset = max(offset, o_end)
        b.offset = offset + guard
        placed.append((offset, offset + size, b.first, b.last))
        placed.sort()
        top = max(top, offset + size)
    return top


def place(buffers: Sequence[Placeable], guard: int = 0) -> ArenaLayout:
    """Set each buffer's offset; returns the arena size and its lower bound.

    With guard > 0 every buffer gets `guard` spare bytes on each side (debug mode checks them).
    """
    live = live_bytes_per_step(buffers, 2 * guard)
    bound = max(live, default=0)
    peak = live.index(bound) if live else 0
    orders = [
        sorted(buffers, key=lambda b: (-b.nbytes, b.first)),
        sorted(buffers, key=lambda b: (-(b.last - b.first + 1) * b.nbytes, b.first)),
        sorted(buffers, key=lambda b: (b.first, -b.nbytes)),
    ]
    best, best_offsets = None, None
    for order in orders:
        size = _first_fit(order, guard)
        if best is None or size < best:
            best, best_offsets = size, [b.offset for b in buffers]
            if size == bound:
                break
    assert best_offsets is not None or not buffers
    for b, off in zip(buffers, best_offsets or []):
        b.offset = off
    return ArenaLayout(best or 0, bound, peak)
