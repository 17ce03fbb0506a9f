"""Run the notebooks the way a student does outside a clone of this repository, as in Colab.

Each notebook runs top to bottom in a fresh Jupyter kernel, in an empty folder of its own, against the
`chapter7` package as pip installed it (not this checkout's folder). Cells flagged `gpu`, `notest` or
`eval: false` are left out, as `nbdev_test` leaves them out. A cell that raises fails its notebook at once.
A cell that gets no reply within `CELL_TIMEOUT` seconds (none of these cells needs a minute on a CPU), or a
kernel that dies, is reported with the cell and the notebook is run once more in a fresh kernel: the
kernel and its messaging, not the notebook, occasionally stall. A cell slower than `SLOW_CELL` seconds is
named in the log. Exits 1 if any notebook fails.
Usage: python scripts/run_notebooks.py NOTEBOOK...
"""
from __future__ import annotations
import re, sys, tempfile, time
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

SKIPPED = re.compile(r'^\s*#\s*\|\s*(gpu|notest|eval:\s*false)\s*$', re.M)
CELL_TIMEOUT = 300
SLOW_CELL = 60   # seconds: a cell that takes longer is named in the log, with its time

def run_notebook(fn:str) -> None:
    "Run notebook `fn` in an empty folder and a fresh kernel; raise as nbclient does if a cell fails"
    nb = nbformat.read(fn, as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type != 'code' or not SKIPPED.search(c.source)]
    started = {}
    def on_cell_start(cell, cell_index): started.update(index=cell_index, time=time.perf_counter())
    def on_cell_executed(cell, cell_index, execute_reply):
        seconds = time.perf_counter() - started['time']
        if seconds > SLOW_CELL: print(f'     {fn}: cell {cell_index} took {seconds:.0f} s: {cell.source.splitlines()[0][:80]}', flush=True)
    with tempfile.TemporaryDirectory() as folder:
        client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name='python3', resources={'metadata': {'path': folder}},
                                on_cell_start=on_cell_start, on_cell_executed=on_cell_executed)
        try: client.execute()
        except (CellTimeoutError, DeadKernelError) as e:
            raise type(e)(f"{e}\n(cell {started.get('index')} of the notebook without its flagged cells)") from e

def run_with_retry(fn:str) -> str|None:
    "Run `fn`, once more if it stalled; the error's last lines if it fails, else `None`"
    for attempt in (1, 2):
        try: return run_notebook(fn)
        except (CellTimeoutError, DeadKernelError) as e:
            print(f'     {fn} stalled on attempt {attempt}: {e}', flush=True)
            if attempt == 2: return f'{type(e).__name__}: {e}'[-3000:]
        except Exception as e: return f'{type(e).__name__}: {e}'[-3000:]

if __name__ == '__main__':
    import chapter7
    if not sys.argv[1:]: sys.exit(__doc__)
    print(f'chapter7 from {chapter7.__file__}', flush=True)
    failed = []
    for fn in sys.argv[1:]:
        start = time.perf_counter()
        error = run_with_retry(fn)
        print(f"{'FAIL' if error else 'ok  '} {fn} ({time.perf_counter() - start:.0f} s)", flush=True)
        if error: failed.append(fn); print(error, flush=True)
    if failed: sys.exit(f'{len(failed)} notebook(s) failed: {", ".join(failed)}')
