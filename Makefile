# tinygrad_nn — the two commands of the quickstart are `make demo` and `make test`.
# Both create .venv on first use and install what they need into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python

.PHONY: demo test lint docs docs-serve bench graphviz browser clean

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

test: $(VENV)/.dev-installed graphviz browser lint docs
	$(PY) -m pytest

# The documentation site (mkdocs-material): its pictures are drawn by tinygrad_nn during
# the build, and --strict turns broken links and references into errors.
docs: $(VENV)/.dev-installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

docs-serve: docs
	$(PY) -m http.server --directory site 8000

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check tinygrad_nn tests bench examples docs/_hooks
	$(BIN)/ruff format --check tinygrad_nn tests bench examples docs/_hooks
	$(BIN)/mypy tinygrad_nn

bench: $(VENV)/.demo-installed
	$(PY) bench/run.py

# System packages: the `dot` program (package graphviz) renders drawings; chromium runs
# the step-through page in a real browser during the tests. Each is installed with
# apt-get when it is missing and that is possible; otherwise we say how, and carry on:
# everything but those parts works without them (their tests skip outside CI).
APT := $(shell if [ "$$(id -u)" = 0 ]; then echo apt-get; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then echo "sudo apt-get"; fi)

define install_if_missing
	@if command -v $(1) >/dev/null 2>&1; then :; \
	elif [ -n "$(APT)" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing the system package $(2) (for $(1))"; \
		($(APT) update -qq && $(APT) install -y -qq $(2) >/dev/null) \
		|| echo "could not install $(2); $(3)"; \
	else \
		echo "note: '$(1)' is missing; install the system package $(2) ($(4)); $(3)"; \
	fi
endef

graphviz:
	$(call install_if_missing,dot,graphviz,drawings will not render,apt-get install graphviz / brew install graphviz / https://graphviz.org/download/)

browser:
	$(call install_if_missing,chromium,chromium,the browser test of the step-through page will skip,apt-get install chromium)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis tinygrad_nn_out site docs/generated
