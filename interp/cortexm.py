"""Export a model as C source for a Cortex-M board, build it with libqk, run it under QEMU.

    python -m interp export MODEL --target mps2-an386 --out DIR [--build]
    python -m interp run MODEL --target mps2-an386 --input x.npy --output y.npy
    python -m interp bench MODEL --target mps2-an386

The export is the lowered plan, nothing else: model_data.c holds the constant blob (flash,
16-byte aligned), the plan words and the arena as one static buffer of exactly the planned size;
model.h declares model_invoke() and the input/output accessors. No flatbuffer parsing on the
device. The generated Makefile builds libmodel.a (link it with csrc's libqk.a in your firmware)
and, for the QEMU boards, the ports/cortexm harness firmware that reads inputs and writes
outputs over semihosting.

Instruction counts come from tools/qk_insn_plugin.c, a QEMU TCG plugin that notes the guest
instruction count at each call of the harness's marker function qk_trace_op(); a library built
with QK_TRACE also calls it after every op, which splits an inference into per-op counts.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .errors import InputError, InterpError
from .cli_io import load_inputs, report_outputs
from .interpreter import Interpreter
from .plan import OPTIMIZE

ROOT = Path(__file__).resolve().parent.parent
CSRC = ROOT / "csrc"
PORT = ROOT / "ports" / "cortexm"
PLUGIN_SRC = ROOT / "tools" / "qk_insn_plugin.c"
PLUGIN_SO = ROOT / "build" / "tools" / "qk_insn_plugin.so"
CROSS = "arm-none-eabi-"
QEMU = "qemu-system-arm"
RUN_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class Target:
    name: str  # the --target value
    cpu: str  # csrc/Makefile CPU: which libqk build
    machine: str  # qemu-system-arm -M
    ld: str  # ports/cortexm/ld/<ld>.ld
    description: str


TARGETS: dict[str, Target] = {t.name: t for t in [
    Target("mps2-an385", "cortex-m3", "mps2-an385", "mps2-an385", "Cortex-M3"),
    Target("mps2-an386", "cortex-m4", "mps2-an386", "mps2-an386", "Cortex-M4F"),
    Target("mps2-an500", "cortex-m7", "mps2-an500", "mps2-an500", "Cortex-M7"),
    Target("mps2-an505", "cortex-m33", "mps2-an505", "mps2-an505", "Cortex-M33"),
    Target("mps3-an547", "cortex-m55", "mps3-an547", "mps3-an547", "Cortex-M55 (Helium)"),
    Target("microbit", "cortex-m0plus", "microbit", "microbit",
           "Cortex-M0 board (256 KiB flash, 16 KiB RAM), Cortex-M0+ code"),
    # QEMU has no M0+ and the micro:bit is small: the same ARMv6-M code on the M3 board's
    # memory gives the M0+ instruction counts for bigger models.
    Target("m0plus-an385", "cortex-m0plus", "mps2-an385", "mps2-an385",
           "Cortex-M0+ code on the mps2-an385 memory map"),
]}


# Core names accepted wherever a board is: the QEMU board that emulates that core.
CORE_ALIASES = {"cortex-m0plus": "m0plus-an385", "cortex-m3": "mps2-an385", "cortex-m4": "mps2-an386",
                "cortex-m7": "mps2-an500", "cortex-m33": "mps2-an505", "cortex-m55": "mps3-an547"}


class TargetError(InterpError):
    """Exporting, building or running on a Cortex-M target failed (or its tools are missing)."""


class TargetTooSmall(TargetError):
    """The firmware does not fit the board's flash or RAM (the link overflowed a region)."""


def missing_tools(count: bool = False) -> list[str]:
    """Executables the Cortex-M flow needs that are not on PATH (with count: the plugin's gcc)."""
    tools = [CROSS + "gcc", CROSS + "ar", CROSS + "nm", CROSS + "size", QEMU, "make"]
    if count:
        tools.append("gcc")
    return [t for t in tools if shutil.which(t) is None]


def target(name: str) -> Target:
    t = TARGETS.get(CORE_ALIASES.get(name, name))
    if t is None:
        raise TargetError(f"unknown target {name!r}; targets: {', '.join(TARGETS)}")
    return t


# -- export ------------------------------------------------------------------------------------

@dataclass
class IOTensor:
    name: str
    dtype: np.dtype[Any]
    shape: tuple[int, ...]
    region: str  # "arena" or "consts"
    offset: int
    nbytes: int
    scale: float | None
    zero_point: int | None

    def meta(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype.name, "shape": list(self.shape),
                "region": self.region, "offset": self.offset, "bytes": self.nbytes,
                "scale": self.scale, "zero_point": self.zero_point}


@dataclass
class Exported:
    """What export() wrote: the directory and the model's I/O layout (also in model.json)."""

    out_dir: Path
    target: Target
    inputs: list[IOTensor]
    outputs: list[IOTensor]
    op_names: list[str]
    arena_bytes: int
    const_bytes: int
    plan_words: int
    meta: dict[str, Any] = field(default_factory=dict)


def _interpreter(model: Any, cpu: str) -> tuple[Interpreter, str]:
    """The plan for this core: an Interpreter planned for another target (the host, another
    core) is replanned, its optimize choice kept."""
    if isinstance(model, Interpreter):
        if model.target == cpu:
            return model, "interpreter"
        return Interpreter(model.model_bytes, optimize=model.optimize, target=cpu), "interpreter"
    if model is None:
        from . import default_model
        return Interpreter(default_model.build(), target=cpu), "default model"
    if isinstance(model, (bytes, bytearray)):
        return Interpreter(bytes(model), target=cpu), "model bytes"
    return Interpreter(Path(model), target=cpu), Path(model).name


def _io(it: Interpreter, t: Any) -> IOTensor:
    plan = it._plan
    b = plan.buffers[plan.tensor_buffer[t.index]]
    q = t.quant
    return IOTensor(t.name, np.dtype(t.dtype), tuple(int(d) for d in t.shape),
                    "arena" if b.in_arena else "consts", int(b.offset), int(t.nbytes),
                    float(q.scale[0]) if q else None, int(q.zero_point[0]) if q else None)


def export(model: Any, target_name: str, out_dir: str | Path) -> Exported:
    """Write model.h, model_data.c, model.json and a Makefile for `target_name` into out_dir.

    model: .tflite path, model bytes, an Interpreter, or None for the bundled default model.
    """
    t = target(target_name)
    it, label = _interpreter(model, t.cpu)
    plan, graph = it._plan, it._graph
    for x in graph.inputs:
        if x.index not in plan.tensor_buffer:
            raise TargetError(f"{x.describe()} has no storage in the plan")
    inputs = [_io(it, x) for x in graph.inputs]
    outputs = [_io(it, x) for x in graph.outputs]
    # State tensors start as reset_all_variables() left them in the host arena.
    state = []
    for v in graph.variables:
        b = plan.buffers[plan.tensor_buffer[v.index]]
        state.append((int(b.offset), it._arena[b.offset:b.offset + v.nbytes].copy(), v.name))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ex = Exported(out, t, inputs, outputs, [op.name for op in plan.ops], int(plan.arena_bytes),
                  int(plan.consts.nbytes), int(plan.words.size))
    ex.meta = {"model": label, "target": t.name, "cpu": t.cpu, "machine": t.machine,
               "arena_bytes": ex.arena_bytes, "const_bytes": ex.const_bytes,
               "plan_words": ex.plan_words, "ops": ex.op_names,
               "inputs": [x.meta() for x in inputs], "outputs": [x.meta() for x in outputs]}
    (out / "model.h").write_text(_model_h(ex, label))
    (out / "model_data.c").write_text(_model_data_c(ex, label, plan.words, plan.consts, state))
    (out / "Makefile").write_text(_makefile(t))
    (out / "model.json").write_text(json.dumps(ex.meta, indent=1) + "\n")
    return ex


def load_exported(out_dir: str | Path) -> Exported:
    """The Exported record of a directory export() wrote (from its model.json)."""
    out = Path(out_dir)
    m = json.loads((out / "model.json").read_text())

    def io(d: dict[str, Any]) -> IOTensor:
        return IOTensor(d["name"], np.dtype(d["dtype"]), tuple(d["shape"]), d["region"],
                        d["offset"], d["bytes"], d["scale"], d["zero_point"])
    return Exported(out, target(m["target"]), [io(d) for d in m["inputs"]],
                    [io(d) for d in m["outputs"]], m["ops"], m["arena_bytes"], m["const_bytes"],
                    m["plan_words"], m)


def _c_ident_comment(s: str) -> str:
    return s.replace("*/", "* /").replace("\n", " ")


def _c_list(values: Sequence[int] | np.ndarray, per_line: int = 24) -> str:
    vals = [str(int(v)) if int(v) != -(2**31) else "(-2147483647 - 1)" for v in np.asarray(values).ravel()]
    if not vals:
        return "    0"
    lines = (", ".join(vals[i:i + per_line]) for i in range(0, len(vals), per_line))
    return ",\n".join("    " + ln for ln in lines)


def _model_h(ex: Exported, label: str) -> str:
    def describe(kind: str, i: int, x: IOTensor) -> str:
        q = f", scale {x.scale:.9g}, zero point {x.zero_point}" if x.scale is not None else ""
        return (f" *   {kind} {i}: '{_c_ident_comment(x.name)}' {x.dtype.name}{list(x.shape)}, "
                f"{x.nbytes} bytes{q}")
    lines = [describe("input", i, x) for i, x in enumerate(ex.inputs)]
    lines += [describe("output", i, x) for i, x in enumerate(ex.outputs)]
    defines = [f"#define MODEL_INPUT{i}_BYTES {x.nbytes}" for i, x in enumerate(ex.inputs)]
    defines += [f"#define MODEL_OUTPUT{i}_BYTES {x.nbytes}" for i, x in enumerate(ex.outputs)]
    return f"""/* Generated by interp.export from {_c_ident_comment(label)} for {ex.target.name}; do not edit.
 *
{chr(10).join(lines)}
 *
 * Usage: model_reset() once (and whenever state should restart), then per inference: fill
 * model_input(i), model_invoke(), read model_output(i). Link with csrc's libqk.a.
 */
#ifndef MODEL_H
#define MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {{
#endif

#define MODEL_NUM_INPUTS {len(ex.inputs)}
#define MODEL_NUM_OUTPUTS {len(ex.outputs)}
#define MODEL_NUM_OPS {len(ex.op_names)}
#define MODEL_ARENA_BYTES {ex.arena_bytes}
#define MODEL_CONST_BYTES {ex.const_bytes}
#define MODEL_PLAN_WORDS {ex.plan_words}
{chr(10).join(defines)}

/* Put state tensors (LSTM/SVDF) back to their initial values; a no-op for stateless models. */
void model_reset(void);
/* Run one inference; returns a qk_status (0 = QK_OK). */
int model_invoke(void);
/* After a failed model_invoke(): the index of the op that failed, -1 if the plan was rejected. */
int32_t model_failed_op(void);

/* Input i's bytes in the arena (NULL for a bad index); write it before every model_invoke(). */
void *model_input(int i);
size_t model_input_bytes(int i);
/* Output i's bytes (NULL for a bad index); valid until the next model_invoke(). */
const void *model_output(int i);
size_t model_output_bytes(int i);

#ifdef __cplusplus
}}
#endif
#endif /* MODEL_H */
"""


def _model_data_c(ex: Exported, label: str, words: np.ndarray, consts: np.ndarray,
                  state: list[tuple[int, np.ndarray, str]]) -> str:
    n_in, n_out = len(ex.inputs), len(ex.outputs)
    state_arrays = "".join(
        f"/* state '{_c_ident_comment(name)}' */\n"
        f"static const uint8_t model_state{k}[{max(len(data), 1)}] = {{\n{_c_list(data)}\n}};\n"
        for k, (_, data, name) in enumerate(state))
    state_copies = "".join(
        f"    copy_bytes(model_arena + {off}, model_state{k}, {len(data)});\n"
        for k, (off, data, _) in enumerate(state))
    return f"""/* Generated by interp.export from {_c_ident_comment(label)} for {ex.target.name}; do not edit.
 * The lowered plan for libqk: no flatbuffer is parsed on the device. */
#include "model.h"
#include "qk.h"

#if defined(__GNUC__)
#define MODEL_ALIGN16 __attribute__((aligned(16)))
/* .rodata.* so any linker script keeps it in flash; ports/cortexm places it by name */
#define MODEL_CONST_SECTION __attribute__((section(".rodata.model_consts")))
#else
#define MODEL_ALIGN16
#define MODEL_CONST_SECTION
#endif

/* Weights, biases and requantization parameters ({ex.const_bytes} bytes, flash). The planner
 * aligned every tensor to 16 bytes within it, so the blob itself is 16-byte aligned. */
const uint8_t model_consts[{max(ex.const_bytes, 1)}] MODEL_ALIGN16 MODEL_CONST_SECTION = {{
{_c_list(consts)}
}};

/* The plan: header, tensor table, op records (see qk.h). */
const int32_t model_plan[{ex.plan_words}] = {{
{_c_list(words, 12)}
}};

/* Every activation, state and scratch buffer: exactly the planned arena (RAM). */
static uint8_t model_arena[{max(ex.arena_bytes, 1)}] MODEL_ALIGN16;

static const uint32_t input_offset[{max(n_in, 1)}] = {{{", ".join(str(x.offset) for x in ex.inputs) or "0"}}};
static const uint32_t input_bytes[{max(n_in, 1)}] = {{{", ".join(str(x.nbytes) for x in ex.inputs) or "0"}}};
static const uint32_t output_offset[{max(n_out, 1)}] = {{{", ".join(str(x.offset) for x in ex.outputs) or "0"}}};
static const uint32_t output_bytes[{max(n_out, 1)}] = {{{", ".join(str(x.nbytes) for x in ex.outputs) or "0"}}};
/* 1 when the output is a constant (folded at export), 0 when it lives in the arena */
static const uint8_t output_in_consts[{max(n_out, 1)}] = {{{", ".join("1" if x.region == "consts" else "0" for x in ex.outputs) or "0"}}};

{state_arrays}static int32_t failed_op = -1;

static void copy_bytes(uint8_t *dst, const uint8_t *src, uint32_t n) {{
    while (n--) *dst++ = *src++;
}}

void model_reset(void) {{
{state_copies or "    (void)copy_bytes;"+chr(10)}}}

int model_invoke(void) {{
    return (int)qk_plan_run(model_plan, MODEL_PLAN_WORDS, model_consts, MODEL_CONST_BYTES,
                            model_arena, MODEL_ARENA_BYTES, &failed_op);
}}

int32_t model_failed_op(void) {{ return failed_op; }}

void *model_input(int i) {{
    return i >= 0 && i < MODEL_NUM_INPUTS ? model_arena + input_offset[i] : NULL;
}}

size_t model_input_bytes(int i) {{
    return i >= 0 && i < MODEL_NUM_INPUTS ? input_bytes[i] : 0;
}}

const void *model_output(int i) {{
    if (i < 0 || i >= MODEL_NUM_OUTPUTS) return NULL;
    return (output_in_consts[i] ? model_consts : model_arena) + output_offset[i];
}}

size_t model_output_bytes(int i) {{
    return i >= 0 && i < MODEL_NUM_OUTPUTS ? output_bytes[i] : 0;
}}
"""


def _makefile(t: Target) -> str:
    return f"""# Generated by interp.export for {t.name} ({t.description}).
#   make lib        build/libmodel.a (model_data.o): link it with $(LIBQK) into your firmware
#   make firmware   build/firmware.elf: the ports/cortexm harness for BOARD (QEMU semihosting)
#   make trace      build/firmware-trace.elf: the same with a libqk that marks every op
#   make size       arm-none-eabi-size of the firmware
# QK_ROOT is the interp checkout (csrc/, ports/); override CPU/BOARD to retarget, OPT for -Os.
QK_ROOT ?= {ROOT}
CPU     ?= {t.cpu}
BOARD   ?= {t.ld}
CROSS   ?= {CROSS}
OPT     ?= -O2
# PORTABLE=1: link libqk built without the DSP / Helium paths (-DQK_NO_ARM), to measure them
PORTABLE ?=
B       ?= build$(if $(PORTABLE),-portable)

CC := $(CROSS)gcc
AR := $(CROSS)ar
PORT := $(QK_ROOT)/ports/cortexm
ARCHFLAGS := $(shell $(MAKE) -s --no-print-directory -C $(QK_ROOT)/csrc CPU=$(CPU) print-archflags)
CFLAGS := -std=c99 -Wall -Wextra -Werror $(OPT) -g -ffunction-sections -fdata-sections \\
          $(ARCHFLAGS) -I. -I$(QK_ROOT)/csrc/include -I$(PORT)
LDFLAGS := -nostdlib -nostartfiles -Wl,--gc-sections -L$(PORT)/ld -T$(PORT)/ld/$(BOARD).ld
LIBVARIANT := $(CPU)$(if $(PORTABLE),-portable)
LIBQK := $(QK_ROOT)/csrc/build/$(LIBVARIANT)/libqk.a
LIBQK_TRACE := $(QK_ROOT)/csrc/build/$(LIBVARIANT)-trace/libqk.a
LIBQK_MAKE := $(MAKE) -C $(QK_ROOT)/csrc CROSS=$(CROSS) CPU=$(CPU) OPT=$(OPT) \
              $(if $(PORTABLE),EXTRA_CFLAGS=-DQK_NO_ARM)
HARNESS := $(B)/startup.o $(B)/semihost.o $(B)/main.o

.PHONY: all lib firmware trace size clean FORCE
all: lib firmware
lib: $(B)/libmodel.a $(LIBQK)
firmware: $(B)/firmware.elf
trace: $(B)/firmware-trace.elf

# libqk is csrc's own build, shared by every export for this CPU; its make decides if it is stale
$(LIBQK): FORCE
	$(LIBQK_MAKE) BUILD=build/$(LIBVARIANT) lib
$(LIBQK_TRACE): FORCE
	$(LIBQK_MAKE) BUILD=build/$(LIBVARIANT)-trace TRACE=1 lib

$(B)/model_data.o: model_data.c model.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@
$(B)/%.o: $(PORT)/%.c model.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@
$(B)/libmodel.a: $(B)/model_data.o
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/firmware.elf: $(HARNESS) $(B)/model_data.o $(LIBQK) $(PORT)/ld/$(BOARD).ld $(PORT)/ld/sections.ld
	$(CC) $(ARCHFLAGS) $(HARNESS) $(B)/model_data.o $(LIBQK) $(LDFLAGS) -Wl,-Map=$(@:.elf=.map) -lgcc -o $@
$(B)/firmware-trace.elf: $(HARNESS) $(B)/model_data.o $(LIBQK_TRACE) $(PORT)/ld/$(BOARD).ld $(PORT)/ld/sections.ld
	$(CC) $(ARCHFLAGS) $(HARNESS) $(B)/model_data.o $(LIBQK_TRACE) $(LDFLAGS) -Wl,-Map=$(@:.elf=.map) -lgcc -o $@

size: $(B)/firmware.elf
	$(CROSS)size $<

clean:
	rm -rf $(B)

FORCE:
"""


# -- build and run -------------------------------------------------------------------------------

def _require_tools(count: bool = False) -> None:
    missing = missing_tools(count)
    if missing:
        raise TargetError("missing tools: " + ", ".join(missing)
                          + " (install them with .ci/install_cross.sh)")


def build(out_dir: str | Path, trace: bool = False, portable: bool = False) -> Path:
    """Build the harness firmware of an export (make firmware/trace); returns the ELF path.
    portable: link the library without its DSP / Helium paths (the baseline they are measured
    against)."""
    _require_tools()
    out = Path(out_dir)
    goal = "trace" if trace else "firmware"
    # Every export's make also runs csrc's make for the shared per-CPU libqk: one build at a time
    # across processes (parallel test workers) so two makes never write the same objects.
    lock_path = ROOT / "build" / ".cortexm-build.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        try:
            import fcntl
            fcntl.flock(lock, fcntl.LOCK_EX)
        except ImportError:  # not POSIX: no locking, builds are sequential in one process
            pass
        p = subprocess.run(["make", "-C", str(out), f"-j{os.cpu_count() or 2}", goal]
                           + (["PORTABLE=1"] if portable else []), capture_output=True, text=True)
    if p.returncode != 0:
        log = (p.stdout + p.stderr)[-4000:]
        if re.search(r"overflowed by|will not fit in region|region .* overflowed", log):
            raise TargetTooSmall(f"{out}: the firmware does not fit the board:\n{log}")
        raise TargetError(f"make {goal} in {out} failed:\n{log}")
    return (out / ("build-portable" if portable else "build")
            / ("firmware-trace.elf" if trace else "firmware.elf"))


def plugin() -> Path:
    """The instruction-count plugin, built with the host gcc when missing or stale."""
    if not PLUGIN_SO.exists() or PLUGIN_SO.stat().st_mtime < PLUGIN_SRC.stat().st_mtime:
        if shutil.which("gcc") is None:
            raise TargetError("counting instructions needs the host gcc to build the QEMU plugin")
        PLUGIN_SO.parent.mkdir(parents=True, exist_ok=True)
        tmp = PLUGIN_SO.with_suffix(f".{os.getpid()}.tmp")
        p = subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-Wall", "-Wextra", str(PLUGIN_SRC),
                            "-o", str(tmp)], capture_output=True, text=True)
        if p.returncode != 0:
            raise TargetError(f"building the QEMU plugin failed:\n{p.stderr[-2000:]}")
        tmp.replace(PLUGIN_SO)
    return PLUGIN_SO


def symbol_address(elf: Path, name: str) -> int:
    out = subprocess.run([CROSS + "nm", str(elf)], check=True, capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16) & ~1  # Thumb bit off: QEMU's PC is even
    raise TargetError(f"{elf}: no symbol {name}")


def elf_size(elf: Path) -> dict[str, int]:
    """arm-none-eabi-size (Berkeley) of the firmware: flash = text + data, RAM = data + bss.

    RAM includes the harness's fixed stack reservation; `stack_used` (measured) is in TargetRun.
    """
    out = subprocess.run([CROSS + "size", str(elf)], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    text, data, bss = (int(v) for v in out[1].split()[:3])
    syms = subprocess.run([CROSS + "nm", "-S", str(elf)], check=True, capture_output=True,
                          text=True).stdout
    sizes = {}
    for line in syms.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3] in ("model_consts", "model_plan", "model_arena"):
            sizes[parts[3]] = int(parts[1], 16)
    stack = symbol_address(elf, "__stack_top") - symbol_address(elf, "__stack_limit")
    return {"text": text, "data": data, "bss": bss, "flash": text + data, "ram": data + bss,
            "consts": sizes.get("model_consts", 0), "plan": sizes.get("model_plan", 0),
            "arena": sizes.get("model_arena", 0), "stack_reserved": stack}


@dataclass
class TargetRun:
    outputs: list[list[np.ndarray]]  # [run][output]
    insns: list[int] | None  # instructions per inference (marker to marker), per run
    op_insns: list[list[int]] | None  # traced firmware: per run, per op
    check_insns: list[int] | None  # traced firmware: call + plan check before op 0, per run
    stack_used: int
    total_insns: int | None  # the whole firmware run (boot, file I/O, every inference)
    log: str


def run_firmware(ex: Exported, elf: Path, runs: Sequence[Sequence[np.ndarray]], *,
                 count: bool = True, traced: bool = False, pcs: Path | None = None,
                 timeout: float = RUN_TIMEOUT_S) -> TargetRun:
    """Run a built firmware on its QEMU board, one inference per entry of `runs`.

    runs[r][i] is input i of run r; each run starts from reset state. Returns the outputs as
    arrays shaped like the model's and, with count, the instruction counts; pcs (with count):
    a file for the plugin's per-block execution counts (tools/cortexm_profile.py).
    """
    _require_tools(count)
    if not runs:
        raise InputError("no inputs to run")
    work = elf.parent / ("run-trace" if traced else "run")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for i, spec in enumerate(ex.inputs):
        with open(work / f"input_{i}.bin", "wb") as f:
            for r, xs in enumerate(runs):
                if len(xs) != len(ex.inputs):
                    raise InputError(f"run {r}: expected {len(ex.inputs)} inputs, got {len(xs)}")
                x = np.asarray(xs[i])
                if x.dtype != spec.dtype or tuple(x.shape) != spec.shape:
                    raise InputError(f"input {i} '{spec.name}': got {x.dtype}{list(x.shape)}, "
                                     f"expected {spec.dtype.name}{list(spec.shape)}")
                f.write(np.ascontiguousarray(x).tobytes())
    cmd = [QEMU, "-M", ex.target.machine, "-display", "none", "-monitor", "none",
           "-serial", "none", "-semihosting-config", "enable=on,target=native",
           "-kernel", str(elf.resolve())]
    counts_file = work / "counts.txt"
    if count:
        mark = symbol_address(elf, "qk_trace_op")
        cmd += ["-plugin", f"{plugin()},mark={mark:#x},out={counts_file},mode=insn"
                + (f",pcs={Path(pcs).resolve()}" if pcs is not None else "")]
    try:
        p = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TargetError(f"{ex.target.machine}: no exit after {timeout:.0f} s") from None
    log = p.stdout + p.stderr  # semihosting console output is QEMU's stderr
    if p.returncode != 0 or "qk: ok" not in log:
        raise TargetError(f"{ex.target.machine} run of {elf} failed (exit {p.returncode}):\n"
                          + log[-3000:])
    outputs: list[list[np.ndarray]] = [[] for _ in runs]
    for o, spec in enumerate(ex.outputs):
        raw = (work / f"output_{o}.bin").read_bytes()
        if len(raw) != spec.nbytes * len(runs):
            raise TargetError(f"output_{o}.bin holds {len(raw)} bytes, expected "
                              f"{spec.nbytes} x {len(runs)}")
        arr = np.frombuffer(raw, spec.dtype).reshape((len(runs),) + spec.shape)
        for r in range(len(runs)):
            outputs[r].append(arr[r].copy())
    m = re.search(r"qk: stack bytes (\d+)", log)
    res = TargetRun(outputs, None, None, None, int(m.group(1)) if m else -1, None, log)
    if count:
        _parse_counts(res, counts_file.read_text(), len(runs), len(ex.op_names), traced)
    return res


def _parse_counts(res: TargetRun, text: str, n_runs: int, n_ops: int, traced: bool) -> None:
    total = re.search(r"^total (\d+)", text, re.M)
    res.total_insns = int(total.group(1)) if total else None
    marks = [int(v) for v in re.findall(r"^mark (\d+)", text, re.M)]
    # per run: -2, then (traced) -1 and one per op, then -3
    per_run = n_ops + 3 if traced else 2
    if len(marks) != per_run * n_runs:
        raise TargetError(f"expected {per_run * n_runs} marker calls, the plugin saw {len(marks)}")
    res.insns, res.op_insns, res.check_insns = [], [] if traced else None, [] if traced else None
    for r in range(n_runs):
        m = marks[r * per_run:(r + 1) * per_run]
        res.insns.append(m[-1] - m[0])
        if traced:
            assert res.op_insns is not None and res.check_insns is not None
            res.check_insns.append(m[1] - m[0])
            res.op_insns.append([m[i + 2] - m[i + 1] for i in range(n_ops)])


def run_on_target(model: Any, target_name: str, runs: Sequence[Sequence[np.ndarray]], *,
                  work_dir: str | Path, count: bool = True, traced: bool = False
                  ) -> tuple[Exported, TargetRun]:
    """Export, build and run in one go (see export(), build(), run_firmware())."""
    ex = export(model, target_name, work_dir)
    elf = build(ex.out_dir, trace=traced)
    return ex, run_firmware(ex, elf, runs, count=count, traced=traced)


# -- command line --------------------------------------------------------------------------------

def _cli_inputs(a: argparse.Namespace, it: Interpreter) -> list[np.ndarray]:
    """The inputs `python -m interp run` would use: --input files, else seeded random values."""
    return load_inputs(a.input, it.get_input_details(), a.seed)


def _work_dir(a: argparse.Namespace, model: str | None, tname: str) -> Path:
    if getattr(a, "keep", None):
        return Path(a.keep)
    stem = Path(model).stem if model else "default_model"
    return ROOT / "build" / "targets" / f"{stem}-{tname}"


def _cli_interpreter(a: argparse.Namespace) -> Interpreter:
    from . import default_model
    return Interpreter(default_model.build() if a.model is None else Path(a.model),
                       optimize=a.optimize, target=target(a.target).cpu)


def cmd_export(a: argparse.Namespace) -> int:
    ex = export(_cli_interpreter(a), a.target, a.out)
    print(f"wrote {ex.out_dir}/model.h, model_data.c, model.json, Makefile "
          f"(arena {ex.arena_bytes} B, constants {ex.const_bytes} B, {len(ex.op_names)} ops)")
    if a.build:
        elf = build(ex.out_dir)
        s = elf_size(elf)
        print(f"built {elf}: flash {s['flash']} B, RAM {s['ram']} B")
    return 0


def cmd_run_target(a: argparse.Namespace) -> int:
    from . import default_model
    # the same budget checks as the host run (--ram/--flash/--board), before anything is built
    it = Interpreter(default_model.build() if a.model is None else Path(a.model),
                     ram_budget=a.ram, flash_budget=a.flash, board=a.board, optimize=a.optimize,
                     target=target(a.target).cpu)
    xs = [np.ascontiguousarray(x) for x in _cli_inputs(a, it)]
    for d, x in zip(it.get_input_details(), xs):
        if x.dtype != d["dtype"] or list(x.shape) != list(d["shape"]):
            raise InputError(f"input '{d['name']}': got {x.dtype}{list(x.shape)}, expected "
                             f"{np.dtype(d['dtype']).name}{list(d['shape'])}")
    count = not missing_tools(count=True)
    ex, res = run_on_target(it, a.target, [xs], work_dir=_work_dir(a, a.model, a.target),
                            count=count)
    outs = {spec.name: y for spec, y in zip(ex.outputs, res.outputs[0])}
    report_outputs(outs, it.arena_bytes, it.const_bytes, a.output)
    t = ex.target
    if res.insns:
        print(f"{t.name} ({t.description}): {res.insns[0]} instructions per inference")
    return 0


def cmd_bench(a: argparse.Namespace) -> int:
    if a.target is None:  # the host: latency next to tflite-micro and LiteRT
        from .bench import cmd_host_bench
        return cmd_host_bench(a.model, a.rounds, a.optimize)
    it = _cli_interpreter(a)
    xs = [np.ascontiguousarray(x) for x in _cli_inputs(a, it)]
    work = _work_dir(a, a.model, a.target)
    ex = export(it, a.target, work)
    elf = build(work)
    plain = run_firmware(ex, elf, [xs], count=True)
    size = elf_size(elf)
    t = ex.target
    assert plain.insns is not None
    print(f"model: {a.model or 'default model'}   target: {t.name} ({t.description}, {t.cpu})")
    print(f"instructions per inference: {plain.insns[0]}")
    portable = None
    if a.vs_portable:  # the same plan through the library without its DSP / Helium paths
        portable = run_firmware(ex, build(work, portable=True), [xs], count=True)
        assert portable.insns is not None
        for y, z in zip(plain.outputs[0], portable.outputs[0]):
            if not np.array_equal(y, z):
                raise TargetError("the portable build computed different outputs")
        print(f"portable build (-DQK_NO_ARM): {portable.insns[0]} "
              f"(fast paths run {plain.insns[0] / portable.insns[0]:.3f}x its instructions)")
    if not a.no_per_op:
        traced = run_firmware(ex, build(work, trace=True), [xs], count=True, traced=True)
        assert traced.op_insns is not None and traced.check_insns is not None
        for y, z in zip(plain.outputs[0], traced.outputs[0]):
            if not np.array_equal(y, z):
                raise TargetError("the traced firmware computed different outputs")
        ops = traced.op_insns[0]
        total = sum(ops)
        print("per op (traced build: each op's count includes ~4 marker-call instructions):")
        print(f"  {'op':>4}  {'name':<24} {'instructions':>13} {'share':>7}")
        for i, (name, n) in enumerate(zip(ex.op_names, ops)):
            print(f"  {i:>4}  {name:<24} {n:>13} {100.0 * n / max(total, 1):6.1f}%")
        print(f"  {'':>4}  {'(call + plan check)':<24} {traced.check_insns[0]:>13}")
    print(f"flash: {size['flash']} B (text {size['text']} + data {size['data']}; constants "
          f"{size['consts']}, plan {size['plan']})")
    print(f"RAM:   {size['ram']} B (data {size['data']} + bss {size['bss']}; arena {size['arena']}, "
          f"stack reserved {size['stack_reserved']}, stack used {plain.stack_used})")
    if a.json:
        Path(a.json).write_text(json.dumps({
            "model": a.model or "default", "target": t.name, "cpu": t.cpu,
            "insns_per_inference": plain.insns[0], "size": size, "stack_used": plain.stack_used,
            "portable_insns_per_inference": portable.insns[0] if portable else None,
        }, indent=1) + "\n")
    return 0


def add_cli(sub: Any) -> None:
    """Register `export` and `bench`, and add --target to an already registered `run`."""
    tnames = list(TARGETS) + list(CORE_ALIASES)
    ex = sub.add_parser("export", help="write C source (plan, constants, arena) for a Cortex-M board")
    ex.add_argument("model", nargs="?", help=".tflite file (default: bundled model)")
    ex.add_argument("--target", required=True, choices=tnames)
    ex.add_argument("-o", "--out", required=True, help="output directory")
    ex.add_argument("--build", action="store_true", help="also build the QEMU harness firmware")
    ex.add_argument("--optimize", choices=OPTIMIZE, default="speed",
                    help="speed: fast kernels; memory: the smallest arena")
    ex.set_defaults(fn=cmd_export)

    be = sub.add_parser("bench", help="host: latency vs tflite-micro and LiteRT; with --target: "
                                      "instructions per inference (and per op), flash and RAM on "
                                      "an emulated Cortex-M board")
    be.add_argument("model", nargs="?", help=".tflite file (default: bundled model)")
    be.add_argument("--target", choices=tnames, help="a Cortex-M board (default: the host)")
    be.add_argument("--rounds", type=int, default=5, help="host: interleaved timing rounds")
    be.add_argument("--input", action="append", help=".npy/.npz input(s) (default: random)")
    be.add_argument("--seed", type=int, default=0, help="seed for random inputs")
    be.add_argument("--no-per-op", action="store_true", help="skip the traced per-op run")
    be.add_argument("--vs-portable", action="store_true",
                    help="also count the build without DSP / Helium paths (same plan)")
    be.add_argument("--keep", help="build directory (default build/targets/<model>-<target>)")
    be.add_argument("--json", help="also write the numbers to this .json file")
    be.add_argument("--optimize", choices=OPTIMIZE, default="speed",
                    help="speed: fast kernels; memory: the smallest arena")
    be.set_defaults(fn=cmd_bench)

    run = sub.choices.get("run")
    if run is not None:
        run.add_argument("--target", choices=tnames,
                         help="run on an emulated Cortex-M board (QEMU) instead of the host")
        run.add_argument("--keep", help="with --target: build directory to use and keep")
        host_fn: Callable[[argparse.Namespace], int] = run.get_default("fn")
        run.set_defaults(fn=lambda a: cmd_run_target(a) if a.target else host_fn(a))
