"""Run the notebooks the way a student does outside a clone of this repository, as in Colab.

Each notebook runs top to bottom in a fresh Jupyter kernel, in an empty folder of its own, against the
`chapter7` package as pip installed it (not this checkout's folder). Cells flagged `gpu`, `notest` or
`eval: false` are left out, as `nbdev_test` leaves them out. Exits 1 if any notebook fails.
Usage: python scripts/run_notebooks.py NOTEBOOK...
"""
import re, sys, tempfile, time
import nbformat
from nbclient import NotebookClient

SKIPPED = re.compile(r'^\s*#\s*\|\s*(gpu|notest|eval:\s*false)\s*$', re.M)

def run_notebook(fn:str) -> str|None:
    "Run notebook `fn` in an empty folder; the error's last lines if it fails, else `None`"
    nb = nbformat.read(fn, as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type != 'code' or not SKIPPED.search(c.source)]
    with tempfile.TemporaryDirectory() as folder:
        try: NotebookClient(nb, timeout=1800, kernel_name='python3', resources={'metadata': {'path': folder}}).execute()
        except Exception as e: return str(e)[-3000:]

if __name__ == '__main__':
    import chapter7
    if not sys.argv[1:]: sys.exit(__doc__)
    print(f'chapter7 from {chapter7.__file__}', flush=True)
    failed = []
    for fn in sys.argv[1:]:
        start = time.perf_counter()
        error = run_notebook(fn)
        print(f"{'FAIL' if error else 'ok  '} {fn} ({time.perf_counter() - start:.0f} s)", flush=True)
        if error: failed.append(fn); print(error, flush=True)
    if failed: sys.exit(f'{len(failed)} notebook(s) failed: {", ".join(failed)}')
