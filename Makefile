PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint bench clean

# The stamp file makes `make test` and `make demo` re-install only when setup.cfg changes.
install: $(VENV)/.installed

$(VENV)/.installed: setup.cfg setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: install
	$(BIN)/veille demo --serve

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python bench/extract.py
	$(BIN)/python bench/crawl.py
	$(BIN)/python bench/ner.py
	$(BIN)/python bench/nlp_speed.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/classify.py
	$(BIN)/python bench/deals.py
	$(BIN)/python bench/dedup.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
