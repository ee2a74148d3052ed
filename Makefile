# The two commands of the README:
#   make demo   set everything up, then run the embedded default end to end
#   make test   set everything up, then run lint and the test suite
# Variables: VENV (default .venv), PYTEST_ARGS.
VENV ?= .venv
PY := $(VENV)/bin/python
export MMZS3_VENV := $(abspath $(VENV))

.PHONY: install demo test lint

install:
	bash tools/install.sh

lint: install
	$(PY) -m ruff check mmzs3 tools tests configs
	$(PY) -m isort --check-only --diff mmzs3 tools tests configs
	$(VENV)/bin/codespell mmzs3 tools tests configs docs README.md

test: install lint
	$(PY) -m pytest tests -q --timeout=900 $(PYTEST_ARGS)

demo: install
	$(PY) tools/run_embedded_default.py
