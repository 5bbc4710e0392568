#!/usr/bin/env bash
# Build g2live.bit / g2live.hwh for PYNQ-Z2 with Vivado (2020.2 or newer) in batch mode.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v vivado >/dev/null || { echo "build.sh: vivado is not on PATH (source Vivado's settings64.sh)" >&2; exit 1; }
cd "$here"
mkdir -p build
vivado -mode batch -nojournal -log build/vivado.log -source build.tcl
