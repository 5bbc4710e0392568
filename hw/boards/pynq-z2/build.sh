#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Build g2live.bit / g2live.hwh for PYNQ-Z2 with Vivado (2020.2 or newer) in batch mode.
# Exit status: Vivado's (build.tcl exits 1 on missing board files, a failed run, unmet timing or an
# unwaived critical warning), 127 when vivado is not on PATH.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v vivado >/dev/null; then
    echo "build.sh: vivado is not on PATH. Install Vivado 2020.2 or newer (the free Standard edition" >&2
    echo "covers the Zynq-7020), then: source <Vivado install>/settings64.sh and run this again." >&2
    exit 127
fi
cd "$here"
mkdir -p build
export G2L_VIVADO_LOG="$here/build/vivado.log"
vivado -mode batch -nojournal -log "$G2L_VIVADO_LOG" -source build.tcl
