# srim-analysis: every task a researcher or CI runs. `make help` lists them.
# The two commands of the README: `make report` and `make test`.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# the environment is rebuilt when the project's dependencies change
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
DEV    := $(VENV)/.dev-$(shell cksum pyproject.toml | cut -d' ' -f1)
# the kernel every notebook records (JupyterLab writes this name into a notebook it saves)
KERNEL_DISPLAY := Python 3 (srim)
# notebook outputs never reach git: the nbstripout filter (docs/jupyterlab.md) strips them,
# with the execution counts and these keys JupyterLab or papermill add on a run, on every
# `git add`/`git status`; it keeps cell ids, tags and the `srim` and kernelspec metadata
NBSTRIPOUT      := "$(abspath $(BIN))/python" -m nbstripout --keep-id
NBSTRIPOUT_KEYS := metadata.language_info.codemirror_mode metadata.language_info.file_extension \
  metadata.language_info.mimetype metadata.language_info.nbconvert_exporter \
  metadata.language_info.pygments_lexer metadata.language_info.version \
  metadata.papermill cell.metadata.papermill cell.metadata.jupyter
# JupyterLab's working folder: copies of notebooks/ (git-ignored), see `make lab`
LAB_DIR := lab
# `make test` runs the tests on two workers (pytest-xdist), a test file to a worker, so a
# file's fixtures are made once; the runs of notebooks the files share are made once
# across workers (tests/conftest.py). PYTEST_PARALLEL= runs them in one process.
PYTEST_PARALLEL ?= -n 2 --dist loadfile

.DEFAULT_GOAL := help
.PHONY: help report test lint lab lab-copies git-filter strip-notebooks validate synth dictionary benchmarks browser ground-truth clean

help: ## List the tasks
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "$(KERNEL_DISPLAY)" >/dev/null
	@$(MAKE) --no-print-directory git-filter
	@rm -f $(VENV)/.installed-* && touch $@

$(DEV): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.dev-* && touch $@

report: $(STAMP) ## Run every notebook for every site on the shipped data (figures, reports/index.html)
	$(BIN)/srim run

test: $(DEV) browser ## Lint, then run the whole test suite (unit, notebooks, browser)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_PARALLEL)

lint: $(DEV) ## Ruff lint and format check only
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lab: $(STAMP) git-filter lab-copies ## Open JupyterLab on working copies of the notebooks in lab/ (localhost, token)
	$(BIN)/jupyter lab --ip=127.0.0.1 --notebook-dir=$(LAB_DIR) --ServerApp.open_browser=True $(if $(filter 0,$(shell id -u)),--allow-root)

lab-copies: ## Copy into lab/ each notebook of notebooks/ not there yet (never overwrites a copy)
	@mkdir -p $(LAB_DIR)
	@for nb in notebooks/*.ipynb; do \
	  copy="$(LAB_DIR)/$${nb##*/}"; \
	  if [ -e "$$copy" ]; then echo "kept   $$copy (your working copy; not overwritten)"; \
	  else cp "$$nb" "$$copy" && echo "copied $$nb -> $$copy"; fi; \
	done
	@echo "JupyterLab works on the copies in $(LAB_DIR)/ (git-ignored). The notebooks in notebooks/ are the"
	@echo "committed ones: edit them only to change the analysis (docs/jupyterlab.md)."

git-filter: ## Set up the git filter that strips notebook outputs (make does it; harmless outside git)
	@if top=$$(git rev-parse --show-toplevel 2>/dev/null) && [ "$$(cd "$$top" && pwd -P)" = "$$(pwd -P)" ]; then \
	  git config filter.nbstripout.clean '$(NBSTRIPOUT)' && \
	  git config filter.nbstripout.smudge cat && \
	  git config filter.nbstripout.required true && \
	  git config filter.nbstripout.extrakeys '$(strip $(NBSTRIPOUT_KEYS))' && \
	  git config diff.ipynb.textconv '$(NBSTRIPOUT) -t' && \
	  echo "git filter nbstripout set up in .git/config: notebook outputs are stripped on commit"; \
	else echo "not a git checkout: no git filter to set up"; fi

strip-notebooks: $(STAMP) ## Strip outputs from notebooks/ in place; record the kernel JupyterLab writes
	$(BIN)/python -c 'import sys, nbformat; [nbformat.write(nb, p) for p in sys.argv[1:] for nb in [nbformat.read(p, as_version=4)] if nb.metadata.setdefault("kernelspec", {}).update(name="python3", display_name="$(KERNEL_DISPLAY)", language="python") is None]' notebooks/*.ipynb
	$(NBSTRIPOUT) --extra-keys '$(strip $(NBSTRIPOUT_KEYS))' notebooks/*.ipynb

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
