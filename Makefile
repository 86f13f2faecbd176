# srim-analysis: every task a researcher or CI runs. `make help` lists them.
# The two commands of the README: `make report` and `make test`.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# the environment is rebuilt when the project's dependencies change
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
DEV    := $(VENV)/.dev-$(shell cksum pyproject.toml | cut -d' ' -f1)

.DEFAULT_GOAL := help
.PHONY: help report test lint lab validate synth dictionary benchmarks browser ground-truth clean

help: ## List the tasks
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (srim)" >/dev/null
	@rm -f $(VENV)/.installed-* && touch $@

$(DEV): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.dev-* && touch $@

report: $(STAMP) ## Run every notebook for every site on the shipped data (figures, reports/index.html)
	$(BIN)/srim run

test: $(DEV) browser ## Lint, then run the whole test suite (unit, notebooks, browser)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(DEV) ## Ruff lint and format check only
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lab: $(STAMP) ## Open JupyterLab on the project (localhost only, with a token)
	$(BIN)/jupyter lab --ip=127.0.0.1 --notebook-dir=. --ServerApp.open_browser=True $(if $(filter 0,$(shell id -u)),--allow-root)

validate: $(STAMP) ## Check a study folder: make validate DATA=data/private/mysite
	$(BIN)/srim validate $(or $(DATA),data/synthetic)

synth: $(STAMP) ## Regenerate the shipped synthetic study in data/synthetic
	$(BIN)/srim synth

dictionary: $(STAMP) ## Regenerate docs/data-dictionary.md from the schemas
	$(BIN)/srim dictionary

benchmarks: $(DEV) ## Run the benchmarks (prints timings; not part of the tests)
	$(BIN)/python benchmarks/bench_qca.py
	$(BIN)/python benchmarks/bench_report.py

ground-truth: $(STAMP) ## Regenerate the back test's tables (tests/reference/report_tables) after a meant change
	@tmp=$$(mktemp -d) && $(BIN)/srim run --out "$$tmp" --force --site all S02 S08 >/dev/null && \
	for s in all S02 S08; do rm -rf tests/reference/report_tables/$$s && mkdir -p tests/reference/report_tables/$$s && \
	  cp "$$tmp"/reports/$$s/tables/*.csv tests/reference/report_tables/$$s/; done && rm -rf "$$tmp" && \
	git status --short tests/reference/report_tables

browser: ## Install Debian's chromium for the JupyterLab browser test (needs root or sudo)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed and cannot be installed here (no root): the browser test will fail with this message"; fi; }

clean: ## Remove generated reports, figures and caches (not the environment)
	rm -rf reports/* figures/* .pytest_cache .ruff_cache
