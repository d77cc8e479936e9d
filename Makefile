# Two commands a new user needs (see README):
#   make demo   set everything up, then pre-annotate the bundled seeds
#   make test   set everything up, then run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test install bench clean

$(BIN)/annotate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(BIN)/annotate

install: $(BIN)/annotate

demo: install
	$(BIN)/annotate pre seeds/ -o exports/pre.jsonl
	$(BIN)/annotate evaluate seeds/gold/dev.jsonl

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/bench.py --size full --markdown

clean:
	rm -rf $(VENV) exports/*.jsonl .pytest_cache
