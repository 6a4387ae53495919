# tinygrad_nn — the two commands of the quickstart are `make demo` and `make test`.
# Both create .venv on first use and install what they need into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python

.PHONY: demo test lint bench graphviz clean

# The runtime plus the plotting/drawing extras, for the demo.
$(VENV)/.demo-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[plot,viz]"
	touch $@

# Everything the test suite and the linters need.
$(VENV)/.dev-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@ $(VENV)/.demo-installed

demo: $(VENV)/.demo-installed graphviz
	$(PY) -m tinygrad_nn tutorial

test: $(VENV)/.dev-installed graphviz lint
	$(PY) -m pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check tinygrad_nn tests bench examples
	$(BIN)/ruff format --check tinygrad_nn tests bench examples
	$(BIN)/mypy tinygrad_nn

bench: $(VENV)/.demo-installed
	$(PY) bench/run.py

# The `dot` program comes from the system package graphviz. Install it when missing and
# possible; otherwise say how, and carry on: everything but rendering works without it.
graphviz:
	@if command -v dot >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing the graphviz system package (for the dot program)"; \
		(apt-get update -qq && apt-get install -y -qq graphviz >/dev/null) \
		|| echo "could not install graphviz; drawing to SVG/PNG will be unavailable"; \
	elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
		echo "installing the graphviz system package (for the dot program)"; \
		(sudo apt-get update -qq && sudo apt-get install -y -qq graphviz >/dev/null) \
		|| echo "could not install graphviz; drawing to SVG/PNG will be unavailable"; \
	else \
		echo "note: the 'dot' program is missing; install graphviz (apt-get install graphviz," \
		     "brew install graphviz, or https://graphviz.org/download/) to render graphs"; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis tinygrad_nn_out
