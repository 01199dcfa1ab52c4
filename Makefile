# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test lint bench serve clean fonts chromium playground

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

fonts:  ## chart fonts for CJK and emoji (apt, when missing)
	scripts/install-fonts

chromium:  ## the browser the playground tests drive (apt package chromium, when missing)
	scripts/install-chromium

playground: $(STAMP) fonts  ## a Slack-like page on http://127.0.0.1:8080/ to try the bot by hand (PLAYGROUND_PORT=… to change)
	$(BIN)/cekura-bot playground --port $(or $(PLAYGROUND_PORT),8080)

demo: $(STAMP) fonts  ## run /cekura dashboard 12 against the built-in sandboxes; output in ./demo-out/
	$(BIN)/cekura-bot demo --out demo-out

test: $(STAMP) fonts chromium  ## unit + end-to-end tests (PostgreSQL cases run when 127.0.0.1:5432 answers)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.run $(ARGS)

clean:
	rm -rf $(VENV) demo-out .pytest_cache .mypy_cache .ruff_cache
