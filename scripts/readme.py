"""Write README.md from the `readme_nb` notebook (nbs/index.ipynb) without Quarto.

`nbdev_readme` renders through Quarto; this does the same job for a notebook of prose and code:
markdown cells as they are, code cells as Python blocks, `#| hide` cells dropped, directives removed.
Usage: python scripts/readme.py [OUTPUT]   (default: README.md beside settings.ini)
"""
import sys
from execnb.nbio import read_nb
from nbdev.config import get_config
from nbdev.process import extract_directives

def readme_text(nb_path) -> str:
    "Markdown for the notebook at `nb_path`"
    parts = []
    for cell in read_nb(nb_path).cells:
        if cell.cell_type == 'markdown': parts.append(cell.source.strip())
        elif cell.cell_type == 'code':
            if 'hide' in extract_directives(cell, remove=True): continue
            if cell.source.strip(): parts.append(f"```python\n{cell.source.strip()}\n```")
    return '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    cfg = get_config()
    out = sys.argv[1] if len(sys.argv) > 1 else cfg.config_path/'README.md'
    open(out, 'w').write(readme_text(cfg.config_path/cfg.nbs_path/cfg.readme_nb))
