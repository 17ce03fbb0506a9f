"Notebooks a student can open anywhere: Colab set-up, links, and no paths that exist only on one machine"
import json, re
from configparser import ConfigParser
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted((ROOT/'nbs').glob('[0-9][0-9]_*.ipynb'))
cfg = ConfigParser(delimiters=['=']); cfg.read(ROOT/'settings.ini')
GIT_URL = cfg['DEFAULT']['git_url']

def code_cells(nb:Path) -> list:
    return [''.join(c['source']) for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code']

def test_there_are_notebooks():
    assert len(NBS) >= 10

@pytest.mark.parametrize('nb', NBS, ids=lambda p: p.stem)
def test_colab_cell_installs_package(nb):
    first = code_cells(nb)[0]
    pip = [l for l in first.splitlines() if '%pip install' in l]
    assert "'google.colab' in sys.modules" in first and len(pip) == 1
    assert f'git+{GIT_URL}' in pip[0] and 'nbdev' in pip[0]   # the package, and nbdev for `show_doc`
    assert '#| eval: false' in first   # never runs under nbdev_test

@pytest.mark.parametrize('nb', NBS, ids=lambda p: p.stem)
def test_export_cell_only_runs_in_the_repository(nb):
    last = code_cells(nb)[-1]
    assert 'nbdev.nbdev_export()' in last and 'if nbdev.config.is_nbdev():' in last

@pytest.mark.parametrize('nb', NBS, ids=lambda p: p.stem)
def test_no_machine_specific_paths(nb):
    text = nb.read_text()
    for bad in ('/work/', '../shared', '/tmp/src', '/root/'): assert bad not in text, bad

def test_readme_links_every_notebook_to_colab():
    readme = (ROOT/'README.md').read_text()
    user_repo = GIT_URL.split('github.com/')[1]
    links = set(re.findall(rf'https://colab\.research\.google\.com/github/{user_repo}/blob/main/nbs/(\S+?\.ipynb)', readme))
    assert links == {nb.name for nb in NBS}
