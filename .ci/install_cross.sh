#!/usr/bin/env bash
# Install the Cortex-M cross toolchain and emulator used by tests/test_cortexm.py (Debian 12).
#
# --no-install-recommends matters: the recommends pull libstdc++-arm-none-eabi-newlib
# (313 MB download, 1.5 GB installed) and QEMU's GUI/firmware packages.
# libnewlib-arm-none-eabi is needed only for its headers (qk_internal.h includes <string.h>,
# which gcc's freestanding headers lack); nothing of newlib is linked: the library and the
# ports/cortexm harness link with -nostdlib and libgcc (semihosting and mem* are our own).
# The QEMU instruction-count plugin (tools/qk_insn_plugin.c) needs only the host gcc: Debian
# ships no qemu-plugin.h, so the plugin declares the few plugin API v1 prototypes it uses.
set -euo pipefail
if command -v arm-none-eabi-gcc >/dev/null && command -v qemu-system-arm >/dev/null \
        && command -v gcc >/dev/null && [ -f /usr/lib/arm-none-eabi/include/string.h ]; then
    exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm gcc libc6-dev make
