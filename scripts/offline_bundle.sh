#!/usr/bin/env bash
# Prepare this checkout for a GPU machine that has no network: one that already has Python with torch,
# torchvision, numpy, pandas, matplotlib, pillow, scipy, scikit-learn and common utilities (requests, pyyaml, rich,
# six, psutil, httpx), but not fastai or nbdev.
# Run it here (with network), copy the checkout over, and run the GPU tests there. It writes two git-ignored folders:
#   data/imagenette2-160/  a copy of the dataset, from $CHAPTER7_DATA (or untar_data's folder)
#   .whl/                  wheels of fastai, nbdev and the pure-Python packages they need, for that machine's Python
#
#   scripts/offline_bundle.sh                 # wheels for Python 3.12 on x86-64 Linux
#   PYVER=3.11 scripts/offline_bundle.sh      # another Python
#   WITH_ALBUMENTATIONS=1 scripts/offline_bundle.sh   # also what nbs/08_augmentation needs
#   ARCHIVE=1 scripts/offline_bundle.sh      # the data as one file to copy, data/imagenette2-160.tgz,
#                                            # instead of a folder of 13,394 small ones
#
# At the end it prints what to run on the GPU machine.
set -euo pipefail
cd "$(dirname "$0")/.."
PYVER=${PYVER:-3.12}
PYTHON=${PYTHON:-python3}

# Versions known to work together (settings.ini's dev_requirements); fastprogress 1.0.3 needs no web framework.
# Left out to keep the bundle small: jedi (IPython completes without it) and the widgets' browser assets.
WHEELS="fastai==2.8.7 fastcore==1.14.5 fastprogress==1.0.3 fastdownload==0.0.8 fasttransform==0.0.2
plum-dispatch==2.9.0 beartype==0.23.1 nbdev==2.4.14 execnb==0.1.18 fastgit==0.1.4 fastspec==0.1.0 ghapi==2.0.3
astunparse==1.6.3 watchdog==7.1.0 ipython==9.18.1 ipython_pygments_lexers==1.1.1 traitlets==5.16.1 matplotlib-inline==0.2.2 pexpect==4.9.0 ptyprocess==0.7.0 prompt_toolkit==3.0.53 wcwidth==0.9.4
stack-data==0.6.3 asttokens==3.0.2 executing==2.3.0 pure_eval==0.2.4 ipywidgets==8.1.9 comm==0.2.3"
if [ -n "${WITH_ALBUMENTATIONS:-}" ]; then
  WHEELS="$WHEELS albumentations==2.0.8 albucore==0.0.24 pydantic==2.14.3 pydantic_core==2.50.4 annotated-types==0.8.0
  typing-inspection==0.4.5 simsimd==6.5.16 stringzilla==5.3.2"
fi

src=${CHAPTER7_DATA:-$HOME/.fastai/data}/imagenette2-160
[ -f "$src/noisy_imagenette.csv" ] || { echo "No Imagenette at $src: set CHAPTER7_DATA to the folder that holds imagenette2-160/" >&2; exit 1; }
mkdir -p data
rm -rf data/imagenette2-160 data/imagenette2-160.tgz
if [ -n "${ARCHIVE:-}" ]; then tar czhf data/imagenette2-160.tgz -C "$(dirname "$src")" imagenette2-160
else cp -rL "$src" data/imagenette2-160; fi

rm -rf .whl && mkdir .whl
# shellcheck disable=SC2086
$PYTHON -m pip download -q --no-deps --only-binary=:all: --python-version "$PYVER" --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux1_x86_64 -d .whl $WHEELS
echo "data/imagenette2-160: $(du -sh --apparent-size data | cut -f1), .whl: $(ls .whl | wc -l) wheels, $(du -sh --apparent-size .whl | cut -f1)"
echo "On the GPU machine, from the checkout:"
if [ -n "${ARCHIVE:-}" ]; then echo "  tar xzf data/imagenette2-160.tgz -C data"; fi
cat <<'USAGE'
  python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site:$PWD PATH=/tmp/site/bin:$PATH CHAPTER7_DATA=$PWD/data
  nbdev_test --flags gpu --n_workers 1 --timing     # or: python -m chapter7.bench --out bench.json
USAGE
