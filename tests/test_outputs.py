"""Lessons are committed with their outputs (`make outputs`), so they can be read on GitHub and on the site unrun.

- a lesson that draws figures has at least one image among its outputs;
- a code cell with outputs says which source made them (`chapter7_source_sha`, written by
  `scripts/execute_lessons.py`), and that is still the cell's source: a cell edited after `make outputs` fails here
  until the lesson is run again; in a notebook with outputs, every code cell has that hash (a cell added since has
  none);
- a lesson's outputs stay under 400 kB, and everything git tracks under 12 MB.
"""
import json, re, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'scripts'))
from execute_lessons import HASH_KEY, source_hash

LESSONS = sorted((ROOT/'nbs').glob('0[0-8]_*.ipynb'))
NOTEBOOKS = sorted((ROOT/'nbs').rglob('*.ipynb'))
# a call that draws: plt.anything(, plot...(, show_...( (a `def` is not a call; show_doc and show_solution draw nothing)
DRAWS = re.compile(r'(?<!def )\b(plt\.\w+|plot\w*|show_(?!doc\b|solution\b)\w+)\s*\(')
MAX_LESSON_OUTPUTS, MAX_TRACKED = 400_000, 12_000_000   # bytes

def code_cells(nb:Path) -> list:
    return [c for c in json.loads(nb.read_text(encoding='utf-8'))['cells'] if c['cell_type'] == 'code']

def src(cell) -> str: return ''.join(cell['source'])

def rel(nb:Path) -> str: return str(nb.relative_to(ROOT/'nbs'))

def test_there_are_lessons():
    assert len(LESSONS) >= 9

def test_draws_finds_figure_calls():
    for s in ('plt.subplots(1, 2)', 'dls.show_batch()', 'plot_mixup(church, gas)', 'show_image(im, ax=ax)'): assert DRAWS.search(s), s
    for s in ('show_doc(get_dls)', 'show_solution(f)', 'def plot_mixup(x1, x2):', 'plotted = 3'): assert not DRAWS.search(s), s

@pytest.mark.parametrize('nb', LESSONS, ids=rel)
def test_lesson_that_draws_has_an_image(nb):
    cells = code_cells(nb)
    calls = sorted({m for c in cells for m in DRAWS.findall(src(c))})
    if not calls: return
    images = [k for c in cells for o in c.get('outputs', []) for k in o.get('data', {}) if k.startswith('image/')]
    assert images, f'{rel(nb)} draws ({", ".join(calls[:5])}) but has no image output: run `make outputs` and commit it'

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=rel)
def test_outputs_come_from_the_current_source(nb):
    cells = code_cells(nb)
    if not any(c.get('outputs') for c in cells): return
    for i, c in enumerate(cells):
        first = src(c).strip().splitlines()[:1]
        where = f'{rel(nb)}, code cell {i} ({first[0][:60] if first else "empty"})'
        have = c.get('metadata', {}).get(HASH_KEY)
        assert have, f'{where} has no {HASH_KEY}: its outputs (or the cell) were not made by `make outputs`'
        assert have == source_hash(c['source']), f'{where} changed since its outputs were made: run `make outputs`'

@pytest.mark.parametrize('nb', LESSONS, ids=rel)
def test_lesson_outputs_are_small(nb):
    size = sum(len(json.dumps(c.get('outputs', []), ensure_ascii=False).encode()) for c in code_cells(nb))
    assert size <= MAX_LESSON_OUTPUTS, f'{rel(nb)} has {size / 1000:.0f} kB of outputs (at most {MAX_LESSON_OUTPUTS // 1000})'

def test_tracked_files_are_small():
    res = subprocess.run(['git', 'ls-files', '-z'], cwd=ROOT, capture_output=True)
    if res.returncode != 0: pytest.skip(f'not a git checkout: {res.stderr.decode().strip()[:200]}')
    files = [ROOT/f for f in res.stdout.decode().split('\0') if f]
    sizes = {f: f.stat().st_size for f in files if f.is_file()}
    total = sum(sizes.values())
    largest = ', '.join(f'{f.relative_to(ROOT)} ({n / 1e6:.1f} MB)' for f, n in sorted(sizes.items(), key=lambda kv: -kv[1])[:3])
    assert total <= MAX_TRACKED, f'git tracks {total / 1e6:.1f} MB (at most {MAX_TRACKED / 1e6:.0f} MB); largest: {largest}'

def test_source_hash_changes_with_the_source():
    assert source_hash(['a = 1\n', 'a']) == source_hash('a = 1\na') != source_hash('a = 2\na')
    assert len(source_hash('x')) == 12
