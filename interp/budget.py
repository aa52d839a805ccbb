"""RAM/flash budgets checked before anything runs, and the memory report that explains them."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import BudgetError, InputError
from .plan import Plan

# Flash taken by the kernel library and executor, as an estimate: measured with arm-none-eabi-size
# on a Cortex-M4 -Os build of csrc/ (all op families linked). Stated, not computed per model.
CODE_BYTES_ESTIMATE = 48 * 1024

# Real boards: SRAM and flash bytes available to the application.
BOARDS: dict[str, tuple[int, int, str]] = {
    "cortex-m0plus-32k": (32 * 1024, 256 * 1024, "e.g. RP2040-class M0+ with 32 KB for the model"),
    "nrf52840": (256 * 1024, 1024 * 1024, "Nordic nRF52840 (Cortex-M4F), Arduino Nano 33 BLE"),
    "cortex-m4-256k": (256 * 1024, 1024 * 1024, "Cortex-M4F with 256 KB SRAM / 1 MB flash"),
    "stm32f446re": (128 * 1024, 512 * 1024, "ST Nucleo-F446RE (Cortex-M4F)"),
    "stm32f746g": (320 * 1024, 1024 * 1024, "ST STM32F746G-DISCO (Cortex-M7)"),
    "stm32h743": (512 * 1024, 2048 * 1024, "ST STM32H743 (Cortex-M7), TinyEngine's board"),
    "rp2040": (264 * 1024, 2048 * 1024, "Raspberry Pi Pico (dual Cortex-M0+)"),
    "esp32-s3": (512 * 1024, 8192 * 1024, "Espressif ESP32-S3 (internal SRAM)"),
    "corstone-300": (4096 * 1024, 4096 * 1024, "Arm Corstone-300 / MPS3 AN547 (Cortex-M55)"),
}


def parse_size(text: str | int) -> int:
    """'64k' -> 65536, '1m' -> 1048576, '1000' -> 1000."""
    if isinstance(text, int):
        return text
    t = text.strip().lower().removesuffix("b")
    mult = {"k": 1024, "m": 1024 * 1024}.get(t[-1:], 1)
    try:
        return int(float(t[:-1] if mult > 1 else t) * mult)
    except ValueError:
        raise InputError(f"cannot read size {text!r} (use e.g. 65536, 64k, 1m)") from None


@dataclass(frozen=True)
class MemoryUse:
    ram_bytes: int  # the arena: every activation, state and scratch buffer
    flash_bytes: int  # constants + plan + estimated code
    const_bytes: int
    plan_bytes: int
    code_bytes: int


def memory_use(plan: Plan) -> MemoryUse:
    const_bytes, plan_bytes = int(plan.consts.nbytes), int(plan.words.nbytes)
    return MemoryUse(plan.arena_bytes, const_bytes + plan_bytes + CODE_BYTES_ESTIMATE,
                     const_bytes, plan_bytes, CODE_BYTES_ESTIMATE)


def live_at(plan: Plan, step: int) -> list[tuple[str, int]]:
    """(name, bytes) of the arena buffers live at an op step, largest first."""
    live = [(b.name, b.nbytes) for b in plan.buffers if b.in_arena and b.first <= step <= b.last]
    return sorted(live, key=lambda x: -x[1])


def resolve_budget(ram: int | str | None, flash: int | str | None,
                   board: str | None) -> tuple[int | None, int | None]:
    """(ram, flash) bytes from explicit budgets and/or a board preset (the tighter one wins)."""
    ram_b = None if ram is None else parse_size(ram)
    flash_b = None if flash is None else parse_size(flash)
    if board is not None:
        if board not in BOARDS:
            raise InputError(f"unknown board {board!r}; known: {', '.join(sorted(BOARDS))}")
        b_ram, b_flash, _ = BOARDS[board]
        ram_b = b_ram if ram_b is None else min(ram_b, b_ram)
        flash_b = b_flash if flash_b is None else min(flash_b, b_flash)
    return ram_b, flash_b


def check_budget(plan: Plan, ram: int | None, flash: int | None) -> None:
    """Raise BudgetError with the numbers when the plan does not fit."""
    use = memory_use(plan)
    if ram is not None and use.ram_bytes > ram:
        op = plan.ops[plan.peak_step] if plan.ops else None
        at = f"op {op.op_index} ({op.name})" if op else "the model inputs"
        tensors = ", ".join(f"{n} {s} B" for n, s in live_at(plan, plan.peak_step)[:8])
        raise BudgetError(
            f"RAM: the arena needs {use.ram_bytes} bytes but {ram} are available "
            f"({use.ram_bytes - ram} over). Peak at {at}, where these buffers are live: {tensors} "
            f"(lower bound {plan.lower_bound} B)", "ram", use.ram_bytes, ram)
    if flash is not None and use.flash_bytes > flash:
        raise BudgetError(
            f"flash: {use.flash_bytes} bytes needed but {flash} available: constants "
            f"{use.const_bytes} B + plan {use.plan_bytes} B + code ~{use.code_bytes} B (estimate)",
            "flash", use.flash_bytes, flash)


def memory_report(plan: Plan) -> str:
    """Per-op live arena bytes as text, with the peak and the lower bound."""
    use = memory_use(plan)
    lines = [f"arena {plan.arena_bytes} B (lower bound {plan.lower_bound} B); "
             f"flash {use.flash_bytes} B = constants {use.const_bytes} + plan {use.plan_bytes} "
             f"+ code ~{use.code_bytes} (estimate)",
             f"{'step':>4} {'op':>4} {'name':24} {'live B':>9}  largest live buffers"]
    for step, op in enumerate(plan.ops):
        live = live_at(plan, step)
        total = sum(s for _, s in live)
        mark = " <- peak" if step == plan.peak_step else ""
        top = ", ".join(f"{n}:{s}" for n, s in live[:3])
        lines.append(f"{step:4d} {op.op_index:4d} {op.name[:24]:24} {total:9d}  {top}{mark}")
    return "\n".join(lines)
