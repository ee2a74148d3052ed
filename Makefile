# The two commands of the README:
#   make demo   set everything up, then run the embedded default end to end
#   make test   set everything up, then run lint and the test suite
#   make web    the web demo (tools/demo/web_demo.py; after `make demo`)
# Variables: VENV (default .venv), PYTEST_ARGS, WEB_ARGS (web_demo.py's).
VENV ?= .venv
PY := $(VENV)/bin/python
export MMZS3_VENV := $(abspath $(VENV))

.PHONY: install browser demo test lint web

install:
	bash tools/install.sh

# Debian's headless chromium + chromedriver for the web demo's browser test.
browser:
	bash tools/install_browser.sh

lint: install
	$(PY) -m ruff check mmzs3 tools tests configs
	$(PY) -m isort --check-only --diff mmzs3 tools tests configs
	$(VENV)/bin/codespell mmzs3 tools tests configs docs README.md

test: install lint browser
	$(PY) -m pytest tests -q --timeout=900 $(PYTEST_ARGS)

demo: install
	$(PY) tools/run_embedded_default.py

web: install
	$(PY) tools/demo/web_demo.py $(WEB_ARGS)
