# The two commands a new user needs: `make lab` (install, then open the notebooks)
# and `make test` (install, then run every test). Both create .venv on first use.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
# Albumentations asks PyPI for a newer release each time it is imported: no test should wait on the network.
export NO_ALBUMENTATIONS_UPDATE = 1

.PHONY: install lab test test-gpu test-latest export lesson-times outputs docs

$(VENV)/.installed: setup.py settings.ini
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Jupyter refuses to start as root (containers, cloud machines) unless told to
lab: install
	$(BIN)/jupyter lab nbs $(if $(filter 0,$(shell id -u)),--allow-root)

# The machinery notebooks with nbdev_test (cells flagged `gpu` skipped; one torch thread per notebook, two side by
# side); every lesson as Jupyter's Run All runs it, no flag honoured, each within 5 minutes; then pytest: the package
# as installed, the results files, the commands, the widgets in JupyterLab, and a check that nbs/ and chapter7/ agree.
LESSONS = $(sort $(wildcard nbs/[0-9][0-9]_*.ipynb))
test: install
	OMP_NUM_THREADS=1 $(BIN)/nbdev_test --n_workers 2 --timing --path nbs/machinery
	OMP_NUM_THREADS=1 $(BIN)/python scripts/run_notebooks.py --all-cells --limit 300 $(LESSONS)
	$(BIN)/python -m pytest -q tests

# What a lesson's Run All takes on this machine, into results/lessons/ (the README's lesson table reads it)
lesson-times: install
	OMP_NUM_THREADS=1 $(BIN)/python scripts/run_notebooks.py --all-cells --limit 300 \
	  --times results/lessons/$$($(BIN)/python -c "from chapter7.core import device_tag; print(device_tag())")-run-all.csv $(LESSONS)

# The lessons committed with their outputs, to read on GitHub and on the site without running them: each lesson as
# Run All runs it, in nbs/ with the real data ($$CHAPTER7_DATA), figures as small PNGs, each code cell's source hash in
# its metadata (tests/test_outputs.py fails when a cell changes after its outputs were made); then nbdev_clean.
OUTPUT_LESSONS = $(sort $(wildcard nbs/0[0-8]_*.ipynb))
outputs: install
	$(BIN)/python scripts/execute_lessons.py $(OUTPUT_LESSONS)
	for nb in $(OUTPUT_LESSONS); do $(BIN)/nbdev_clean --fname $$nb || exit 1; done

# The documentation site, without Quarto: the lessons with the outputs they hold, the machinery as API pages, the
# results and their notes, through nbdev's notebook processing and MkDocs (--strict) into _site/; fails on a broken
# internal link or a missing page. Open _site/index.html, or serve it: python -m http.server -d _site
docs: install
	$(BIN)/python scripts/build_docs.py

# On a machine with a GPU: the notebooks again, their `gpu` cells and long experiments included (the chapter's
# experiments at full size), one notebook at a time so they don't share the GPU.
test-gpu: install
	CHAPTER7_LONG_RUNS=1 $(BIN)/nbdev_test --flags gpu --n_workers 1 --timing

# What to run before each commit: regenerate the package and strip notebook metadata/outputs noise.
export: install
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean
	$(BIN)/python scripts/readme.py

# The newest fastai and fastcore, as students get them in Colab: the package's pytest suite against the installed
# copy (not this folder), then every notebook run as a student runs it outside a clone (`scripts/run_notebooks.py`),
# in an environment of its own.
test-latest:
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install -q --upgrade pip
	rm -rf build   # pip builds in the checkout: no modules left over from an earlier build
	.venv-latest/bin/python -m pip install -q --upgrade fastai fastcore nbdev nbclient ipykernel albumentations pytest .
	.venv-latest/bin/python -m pip install -q --force-reinstall --no-deps .
	.venv-latest/bin/python -c "import fastai, fastcore, nbdev; print('fastai', fastai.__version__, 'fastcore', fastcore.__version__, 'nbdev', nbdev.__version__)"
	cd tests && OMP_NUM_THREADS=1 ../.venv-latest/bin/pytest -q -p no:cacheprovider test_package.py test_cli.py test_commands.py test_layouts.py test_own_data.py
	CHAPTER7_RESULTS=$(CURDIR)/results OMP_NUM_THREADS=1 .venv-latest/bin/python scripts/run_notebooks.py \
	  $(LESSONS) nbs/machinery/[0-9][0-9]_*.ipynb
