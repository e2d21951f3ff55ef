# gis-tool: the two commands of the README. Each sets itself up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "error: gis-tool needs Python 3.11 or newer (found $$($(PYTHON) --version))"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

demo: $(VENV)/.installed   ## run the bundled Alingsås demo into output/demo/ (and an inquiry)
	$(BIN)/gis-tool demo --out output/demo --overwrite
	$(BIN)/gis-tool inquiry layers/inquiry_logistics.toml --analysis layers/alingsas_demo.toml \
	  --out output/demo/inquiry --overwrite
	$(BIN)/gis-tool programme layers/alingsas_demo.toml --out output/demo/programme \
	  --from 2027 --until 2035 --overwrite

test: $(VENV)/.installed-test   ## run the whole test suite
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check gis_tool tests benchmarks

bench: $(VENV)/.installed-test   ## whole `gis-tool run` versus geopandas at 10k, 100k and 1M sites
	$(BIN)/python benchmarks/bench_e2e.py

clean:
	rm -rf $(VENV) output/demo
