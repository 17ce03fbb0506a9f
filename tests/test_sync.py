"The notebooks are the source: exporting, cleaning and rendering them must change nothing that is committed"
import filecmp, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SKIP = shutil.ignore_patterns('__pycache__', '.ipynb_checkpoints', '*.egg-info')

@pytest.fixture
def project(tmp_path):
    "A copy of the project's sources, to run nbdev commands on without touching the checkout"
    for f in ('settings.ini', 'setup.py', 'README.md'): shutil.copy(ROOT/f, tmp_path/f)
    for d in ('nbs', 'chapter7', 'scripts', 'results'): shutil.copytree(ROOT/d, tmp_path/d, ignore=SKIP)
    return tmp_path

def changed_files(a:Path, b:Path) -> list:
    "Files that differ, or exist on one side only, between folders `a` and `b`"
    cmp = filecmp.dircmp(a, b, ignore=['__pycache__', '.ipynb_checkpoints'])
    out = [str(a/f) for f in cmp.diff_files + cmp.left_only + cmp.right_only + cmp.funny_files]
    return out + [f for d in cmp.common_dirs for f in changed_files(a/d, b/d)]

def test_export_leaves_package_unchanged(project):
    subprocess.run([BIN/'nbdev_export'], cwd=project, check=True)
    assert changed_files(ROOT/'chapter7', project/'chapter7') == [], "run nbdev_export and commit chapter7/"

def test_notebooks_are_clean(project):
    subprocess.run([BIN/'nbdev_clean'], cwd=project, check=True)
    assert changed_files(ROOT/'nbs', project/'nbs') == [], "run nbdev_clean and commit nbs/"

def test_readme_is_rendered_from_index(project):
    subprocess.run([BIN/'python', 'scripts/readme.py', 'README.md'], cwd=project, check=True)
    assert (project/'README.md').read_text() == (ROOT/'README.md').read_text(), "run `make export` and commit README.md"

def test_changed_files_sees_an_edit(tmp_path):
    a, b = tmp_path/'a', tmp_path/'b'
    for d in (a, b): (d/'sub').mkdir(parents=True)
    (a/'sub/x.py').write_text('x = 1'); (b/'sub/x.py').write_text('x = 2')
    assert changed_files(a, b) == [str(a/'sub/x.py')]

def test_every_cell_has_an_id():
    "nbformat 4.5 requires cell ids: nbformat adds missing ones when it reads a notebook, with a warning now and an error later"
    import json
    for fn in sorted((ROOT/'nbs').rglob('*.ipynb')):
        nb = json.loads(fn.read_text())
        assert (nb['nbformat'], nb['nbformat_minor']) >= (4, 5), fn.name
        missing = [i for i, c in enumerate(nb['cells']) if 'id' not in c]
        assert not missing, f"{fn.name}: cells {missing} have no id"
