# Two commands do all the set-up on a fresh machine:
#   make demo   ingest the sample corpus and serve the widget and the API on the embedded default models
#   make test   lint, type-check and run every test (what .ci/run calls)
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup demo test lint typecheck bench clean widget

setup: $(VENV)/.installed

# torch==2.13.0 first: it resolves to the machine's CPU build, so sentence-transformers does not pull a
# multi-GB CUDA build. llama-cpp-python builds from source (several minutes on 2 cores, cached by pip after).
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
	CMAKE_ARGS="-DLLAVA_BUILD=OFF" $(PIP) install -q -e ".[all,local,dev]"
	touch $@

demo: setup
	HOST=$(HOST) PORT=$(PORT) VENV=$(VENV) bash scripts/demo.sh

# web/static/widget.js is built from the modules in web/widget/ (a test checks it is up to date).
widget:
	$(PY) scripts/build_widget.py

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy troly ingest index assistant prompts eval web

test: setup lint typecheck
	bash scripts/install_browser.sh
	$(VENV)/bin/pytest -q

bench: setup
	$(PY) -m eval.bench_retrieval
	$(PY) -m eval.bench_answers --qa ../shared/qa/seeds-dev.jsonl --corpus ../shared/corpus/seeds

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
