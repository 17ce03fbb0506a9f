# The two commands a new user needs: `make lab` (install, then open the notebooks)
# and `make test` (install, then run every test). Both create .venv on first use.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
# Albumentations asks PyPI for a newer release each time it is imported: no test should wait on the network.
export NO_ALBUMENTATIONS_UPDATE = 1

.PHONY: install lab test test-gpu test-latest export

$(VENV)/.installed: setup.py settings.ini
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

lab: install
	$(BIN)/jupyter lab nbs

# Notebook tests (cells flagged `gpu` or `notest` are skipped; add `--flags gpu` on a GPU machine),
# then pytest: the package as installed, and a check that nbs/ and chapter7/ agree.
# One torch thread per notebook: nbdev_test runs notebooks side by side, one per core.
test: install
	OMP_NUM_THREADS=1 $(BIN)/nbdev_test --n_workers 2 --timing
	$(BIN)/python -m pytest -q tests

# On a machine with a GPU: the notebooks again, their `gpu` cells included (the chapter's experiments at
# full size), one notebook at a time so they don't share the GPU.
test-gpu: install
	$(BIN)/nbdev_test --flags gpu --n_workers 1 --timing

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
	cd tests && OMP_NUM_THREADS=1 ../.venv-latest/bin/pytest -q -p no:cacheprovider test_package.py test_cli.py test_commands.py
	OMP_NUM_THREADS=1 .venv-latest/bin/python scripts/run_notebooks.py nbs/[0-9][0-9]_*.ipynb nbs/machinery/[0-9][0-9]_*.ipynb
