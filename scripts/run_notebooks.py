"""Run the notebooks the way a student does outside a clone of this repository, as in Colab.

Each notebook runs top to bottom in a fresh Jupyter kernel, in an empty folder of its own, against the
`chapter7` package as pip installed it (not this checkout's folder). Cells flagged `gpu`, `notest` or
`eval: false` are left out, as `nbdev_test` leaves them out. A cell that raises fails its notebook at once.

The client polls the kernel's sockets in short slices (`PolledChannel`). With nbclient's own client, a cell
that shows a widget (08's augmentation explorer) often waited until its timeout although the kernel had
replied at once: the event loop missed the socket's wakeup, and the reply was read only by the final check
when the timeout expired. In 20 runs of 08 with a 20-s cell timeout, 15 runs had a widget cell take the whole
20 s and then pass (3 of them twice), and in an earlier loop one run failed inside nbclient; with slices of
`POLL_SLICE` seconds, all 20 runs took 6.6 to 8.1 s.

Each notebook runs in a process of its own, stopped after `NOTEBOOK_TIMEOUT` seconds (the slowest takes about
a minute on a 2-core CPU), so nothing can hang the run. A cell slower than `SLOW_CELL` seconds is named in the
log. Exits 1 if any notebook fails.
With `--all-cells`, nothing is left out: every cell runs, as Jupyter's and Colab's Run All run them, flags or not
(the lessons keep their long experiments behind a switch, not behind flags). `--limit SECONDS` fails a notebook
that takes longer than that (default `NOTEBOOK_TIMEOUT`). `--times FILE` saves each notebook's seconds as CSV, with the
device, the date and the command, when every notebook passed.
Usage: python scripts/run_notebooks.py [--all-cells] [--limit SECONDS] [--times FILE] NOTEBOOK...
"""
from __future__ import annotations
import re, subprocess, sys, tempfile, time
from queue import Empty
import nbformat
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from nbclient import NotebookClient
from traitlets import Type

SKIPPED = re.compile(r'^\s*#\s*\|\s*(gpu|notest|eval:\s*false)\s*$', re.M)
CELL_TIMEOUT, NOTEBOOK_TIMEOUT = 300, 600
POLL_SLICE = 0.1  # seconds: the most a missed wakeup can cost
SLOW_CELL = 60    # seconds: a cell that takes longer is named in the log, with its time

class PolledChannel(AsyncZMQSocketChannel):
    "A kernel channel that waits for a message in slices of `POLL_SLICE` seconds, looking at the socket after each"
    async def get_msg(self, timeout:float|None=None) -> dict:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = POLL_SLICE if deadline is None else max(0., min(POLL_SLICE, deadline - time.monotonic()))
            if await self.socket.poll(int(wait * 1000)): return await self._recv()
            if deadline is not None and time.monotonic() >= deadline: raise Empty

class PolledKernelClient(AsyncKernelClient):
    "jupyter_client's asynchronous kernel client with a `PolledChannel` for each of its ZMQ channels"
    shell_channel_class, iopub_channel_class = Type(PolledChannel), Type(PolledChannel)
    stdin_channel_class, control_channel_class = Type(PolledChannel), Type(PolledChannel)

class PolledNotebookClient(NotebookClient):
    "nbclient's `NotebookClient`, talking to its kernel through `PolledKernelClient`"
    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        km.client_factory = PolledKernelClient
        return km

def run_notebook(fn:str, all_cells:bool=False) -> None:
    "Run notebook `fn` in an empty folder and a fresh kernel (flagged cells left out unless `all_cells`); raise as nbclient does if a cell fails"
    nb = nbformat.read(fn, as_version=4)
    if not all_cells: nb.cells = [c for c in nb.cells if c.cell_type != 'code' or not SKIPPED.search(c.source)]
    started = {}
    def on_cell_start(cell, cell_index): started.update(index=cell_index, time=time.perf_counter())
    def on_cell_executed(cell, cell_index, execute_reply):
        seconds = time.perf_counter() - started['time']
        if seconds > SLOW_CELL: print(f'     {fn}: cell {cell_index} took {seconds:.0f} s: {cell.source.splitlines()[0][:80]}', flush=True)
    with tempfile.TemporaryDirectory() as folder:
        client = PolledNotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name='python3', resources={'metadata': {'path': folder}},
                                      on_cell_start=on_cell_start, on_cell_executed=on_cell_executed)
        try: client.execute()
        except Exception as e:
            if 'index' in started: e.add_note(f"(cell {started['index']} of the notebook without its flagged cells)")
            raise

def run_in_process(fn:str, all_cells:bool=False, limit:float=NOTEBOOK_TIMEOUT) -> bool:
    "Run `fn` in a process of its own, stopped after `limit` seconds; whether it passed"
    args = [sys.executable, __file__, '--one', fn] + (['--all-cells'] if all_cells else [])
    try: return subprocess.run(args, timeout=limit).returncode == 0
    except subprocess.TimeoutExpired: print(f'     {fn} still running after {limit:.0f} s', flush=True); return False

if __name__ == '__main__':
    if sys.argv[1:2] == ['--one']:
        try: run_notebook(sys.argv[2], '--all-cells' in sys.argv[3:])
        except Exception as e: sys.exit(f'{type(e).__name__}: {e}'[-3000:] + ''.join(f'\n{n}' for n in getattr(e, '__notes__', [])))
        sys.exit(0)
    import chapter7
    args = sys.argv[1:]
    command = ' '.join(['python scripts/run_notebooks.py', *args])
    all_cells = '--all-cells' in args
    if all_cells: args.remove('--all-cells')
    limit, times = NOTEBOOK_TIMEOUT, None
    if '--limit' in args:
        i = args.index('--limit'); limit = float(args[i+1]); del args[i:i+2]
    if '--times' in args:
        i = args.index('--times'); times = args[i+1]; del args[i:i+2]
    if not args: sys.exit(__doc__)
    print(f'chapter7 from {chapter7.__file__}', flush=True)
    failed, seconds = [], {}
    for fn in args:
        start = time.perf_counter()
        passed = run_in_process(fn, all_cells, limit)
        seconds[fn] = time.perf_counter() - start
        print(f"{'ok  ' if passed else 'FAIL'} {fn} ({seconds[fn]:.0f} s)", flush=True)
        if not passed: failed.append(fn)
    if failed: sys.exit(f'{len(failed)} notebook(s) failed: {", ".join(failed)}')
    if times:
        import datetime, pandas as pd
        from pathlib import Path
        from chapter7.core import device_name
        Path(times).parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(dict(notebook=[Path(f).stem for f in seconds], seconds=[round(v) for v in seconds.values()],
                          device=device_name(), date=datetime.date.today().isoformat(), command=command)).to_csv(times, index=False)
