"""Write README.md from the `readme_nb` notebook (nbs/index.ipynb) without Quarto.

`nbdev_readme` renders through Quarto; this does the same job for a notebook of prose and code:
markdown cells as they are, code cells as Python blocks, `#| hide` cells dropped, directives removed.
A measured figure is never typed into the notebook: `{{run_all:NOTEBOOK}}` in its markdown becomes the time that
notebook's Run All took, read from `results/lessons/cpu-run-all.csv` (written by `make lesson-times`).
Usage: python scripts/readme.py [OUTPUT]   (default: README.md beside settings.ini)
"""
import csv, re, sys
from pathlib import Path
from execnb.nbio import read_nb
from nbdev.config import get_config
from nbdev.process import extract_directives

RUN_ALL = 'results/lessons/cpu-run-all.csv'

def duration(seconds:float) -> str:
    "'45 s' under a minute and a half, else whole minutes: '3 min'"
    return f'{seconds:.0f} s' if seconds < 90 else f'{seconds / 60:.0f} min'

def fill_times(text:str, root:Path) -> str:
    "`text` with each `{{run_all:NOTEBOOK}}` replaced by that notebook's measured Run All time"
    if '{{run_all:' not in text: return text
    with open(root/RUN_ALL) as f: seconds = {r['notebook']: float(r['seconds']) for r in csv.DictReader(f)}
    def one(m):
        if m[1] not in seconds: raise KeyError(f"{RUN_ALL} has no time for {m[1]}: run `make lesson-times`")
        return duration(seconds[m[1]])
    return re.sub(r'\{\{run_all:([\w.-]+)\}\}', one, text)

def readme_text(nb_path, root:Path) -> str:
    "Markdown for the notebook at `nb_path`"
    parts = []
    for cell in read_nb(nb_path).cells:
        if cell.cell_type == 'markdown': parts.append(fill_times(cell.source.strip(), root))
        elif cell.cell_type == 'code':
            if 'hide' in extract_directives(cell, remove=True): continue
            if cell.source.strip(): parts.append(f"```python\n{cell.source.strip()}\n```")
    return '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    cfg = get_config()
    out = sys.argv[1] if len(sys.argv) > 1 else cfg.config_path/'README.md'
    open(out, 'w').write(readme_text(cfg.config_path/cfg.nbs_path/cfg.readme_nb, cfg.config_path))
