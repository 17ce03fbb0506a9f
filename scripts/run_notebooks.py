"""Run the notebooks the way a student does outside a clone of this repository, as in Colab.

Each notebook runs top to bottom in a fresh Jupyter kernel, in an empty folder of its own, against the
`chapter7` package as pip installed it (not this checkout's folder). Cells flagged `gpu`, `notest` or
`eval: false` are left out, as `nbdev_test` leaves them out. A cell that raises fails its notebook at once.
Now and then the client and the kernel stall on a cell that shows a widget: the kernel sits idle while the
client waits for a reply, for minutes or for good. So each notebook runs in a process of its own; one that
stalls (a cell with no reply within `CELL_TIMEOUT` seconds, a kernel that dies, or a notebook still running
after `NOTEBOOK_TIMEOUT` seconds; the slowest takes about a minute on a 2-core CPU) is reported and run
once more. A cell slower than `SLOW_CELL` seconds is named in the log. Exits 1 if any notebook fails.
Usage: python scripts/run_notebooks.py NOTEBOOK...
"""
from __future__ import annotations
import re, subprocess, sys, tempfile, time
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

SKIPPED = re.compile(r'^\s*#\s*\|\s*(gpu|notest|eval:\s*false)\s*$', re.M)
CELL_TIMEOUT, NOTEBOOK_TIMEOUT = 300, 600
SLOW_CELL = 60   # seconds: a cell that takes longer is named in the log, with its time
STALLED = 2      # exit status of `--one` for a stall, as against 1 for a failure

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

def run_one(fn:str) -> int:
    "Run `fn` in this process: 0 if it passes, `STALLED` if it stalls, 1 if a cell fails; errors printed"
    try: run_notebook(fn); return 0
    except (CellTimeoutError, DeadKernelError) as e: print(f'{type(e).__name__}: {e}'[-3000:], flush=True); return STALLED
    except Exception as e: print(f'{type(e).__name__}: {e}'[-3000:], flush=True); return 1

def run_with_retry(fn:str) -> bool:
    "Run `fn` in a process of its own, once more if it stalled; whether it passed"
    for attempt in (1, 2):
        try: status = subprocess.run([sys.executable, __file__, '--one', fn], timeout=NOTEBOOK_TIMEOUT).returncode
        except subprocess.TimeoutExpired: status = STALLED; print(f'     {fn} still running after {NOTEBOOK_TIMEOUT} s', flush=True)
        if status != STALLED: return status == 0
        print(f'     {fn} stalled on attempt {attempt}', flush=True)
    return False

if __name__ == '__main__':
    if sys.argv[1:2] == ['--one']: sys.exit(run_one(sys.argv[2]))
    import chapter7
    if not sys.argv[1:]: sys.exit(__doc__)
    print(f'chapter7 from {chapter7.__file__}', flush=True)
    failed = []
    for fn in sys.argv[1:]:
        start = time.perf_counter()
        passed = run_with_retry(fn)
        print(f"{'ok  ' if passed else 'FAIL'} {fn} ({time.perf_counter() - start:.0f} s)", flush=True)
        if not passed: failed.append(fn)
    if failed: sys.exit(f'{len(failed)} notebook(s) failed: {", ".join(failed)}')
