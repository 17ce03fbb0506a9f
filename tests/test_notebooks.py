"Notebooks a student can open anywhere: Colab set-up, links, and no paths that exist only on one machine"
import json, re
from configparser import ConfigParser
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted((ROOT/'nbs').glob('[0-9][0-9]_*.ipynb')) + sorted((ROOT/'nbs'/'machinery').glob('[0-9][0-9]_*.ipynb'))
cfg = ConfigParser(delimiters=['=']); cfg.read(ROOT/'settings.ini')
GIT_URL = cfg['DEFAULT']['git_url']

def code_cells(nb:Path) -> list:
    return [''.join(c['source']) for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code']

def test_there_are_notebooks():
    assert len(NBS) >= 10

@pytest.mark.parametrize('nb', NBS, ids=lambda p: str(p.relative_to(ROOT/'nbs')))
def test_colab_cell_installs_package(nb):
    first = code_cells(nb)[0]
    pip = [l for l in first.splitlines() if '%pip install' in l]
    assert "'google.colab' in sys.modules" in first and len(pip) == 1
    assert f'git+{GIT_URL}' in pip[0] and 'nbdev' in pip[0]   # the package, and nbdev for `show_doc`
    assert '#| eval: false' in first   # never runs under nbdev_test

@pytest.mark.parametrize('nb', NBS, ids=lambda p: str(p.relative_to(ROOT/'nbs')))
def test_export_cell_only_runs_in_the_repository(nb):
    export = code_cells(nb)[-2]   # just before the clean-up
    assert 'nbdev.nbdev_export()' in export and 'if nbdev.config.is_nbdev():' in export

@pytest.mark.parametrize('nb', NBS, ids=lambda p: str(p.relative_to(ROOT/'nbs')))
def test_temporary_folders_are_removed(nb):
    "Every temporary folder a notebook makes (synthetic data, caches, exported models) goes in one, which its last cell removes"
    cells = code_cells(nb)
    setup = next(i for i, c in enumerate(cells) if 'tempfile.tempdir = tempfile.mkdtemp(' in c)
    assert cells[setup].startswith('#| hide') and not any('tempfile.' in c for c in cells[:setup]), 'set up before any use'
    last = cells[-1]
    assert last.startswith('#| hide') and 'shutil.rmtree(tempfile.tempdir' in last and 'tempfile.tempdir = None' in last
    for c in cells:   # the fast path's default cache (~/.cache/chapter7) is for the real data: tests give theirs a folder
        if 'fast=True' in c and not re.search(r'#\|\s*(export|gpu|notest|eval: false)', c):   # cells that run in the tests
            assert all('cache_dir' in line for line in c.splitlines() if 'fast=True' in line) or 'CHAPTER7_CACHE' in c, c[:200]

@pytest.mark.parametrize('nb', NBS, ids=lambda p: str(p.relative_to(ROOT/'nbs')))
def test_no_machine_specific_paths(nb):
    text = nb.read_text()
    for bad in ('/work/', '../shared', '/tmp/src', '/root/'): assert bad not in text, bad

def test_readme_links_every_notebook_to_colab():
    readme = (ROOT/'README.md').read_text()
    user_repo = GIT_URL.split('github.com/')[1]
    links = set(re.findall(rf'https://colab\.research\.google\.com/github/{user_repo}/blob/main/nbs/(\S+?\.ipynb)', readme))
    assert links == {str(nb.relative_to(ROOT/'nbs')) for nb in NBS}
