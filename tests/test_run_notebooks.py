"The notebook runner of `make test-latest` (scripts/run_notebooks.py): it fails what fails, skips what is flagged, and its channels wait as long as asked, no longer"
import asyncio, importlib.util, subprocess, sys, time
from pathlib import Path
from queue import Empty
import nbformat, pytest, zmq, zmq.asyncio
from jupyter_client.session import Session

SCRIPT = Path(__file__).resolve().parents[1]/'scripts'/'run_notebooks.py'
spec = importlib.util.spec_from_file_location('run_notebooks', SCRIPT)
run_notebooks = importlib.util.module_from_spec(spec); spec.loader.exec_module(run_notebooks)

def notebook(path:Path, *sources:str) -> str:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nbformat.write(nb, path)
    return str(path)

def runner(*notebooks:str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *notebooks], capture_output=True, text=True, timeout=300)

def test_passes_and_fails(tmp_path):
    ok = notebook(tmp_path/'ok.ipynb', 'import ipywidgets as widgets\nw = widgets.IntSlider(3)\nw', 'w.value = 5\nassert w.value == 5')
    flagged = notebook(tmp_path/'flagged.ipynb', '#| gpu\nraise RuntimeError("needs a GPU")', '#| notest\nraise RuntimeError', 'x = 1')
    bad = notebook(tmp_path/'bad.ipynb', 'x = 1', 'assert x == 2, "x is not 2"')
    res = runner(ok, flagged, bad)
    assert res.returncode == 1
    assert f'ok   {ok}' in res.stdout and f'ok   {flagged}' in res.stdout and f'FAIL {bad}' in res.stdout
    assert 'x is not 2' in res.stderr and 'cell 1 of the notebook' in res.stderr
    assert '1 notebook(s) failed' in res.stderr

def test_missing_notebook(tmp_path):
    res = runner(str(tmp_path/'typo.ipynb'))
    assert res.returncode == 1 and 'No such file' in res.stderr

def test_polled_channel_waits_its_timeout():
    "No message: `get_msg` raises `Empty` once its timeout has passed, not before, and not much after"
    async def wait():
        ctx = zmq.asyncio.Context()
        sock = ctx.socket(zmq.DEALER); sock.bind('tcp://127.0.0.1:*')
        start = time.monotonic()
        with pytest.raises(Empty): await run_notebooks.PolledChannel(sock, Session()).get_msg(timeout=0.35)
        sock.close(0); ctx.term()
        return time.monotonic() - start
    assert 0.35 <= asyncio.run(wait()) < 0.35 + 5 * run_notebooks.POLL_SLICE

@pytest.mark.parametrize('delay', [0, 0.25])
def test_polled_channel_reads_messages(delay):
    "A message waiting in the socket, or arriving while `get_msg` waits, is read and decoded before the timeout"
    async def read():
        ctx, session = zmq.asyncio.Context(), Session()
        kernel, client = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
        port = client.bind_to_random_port('tcp://127.0.0.1'); kernel.connect(f'tcp://127.0.0.1:{port}')
        async def reply():
            await asyncio.sleep(delay)
            session.send(kernel, 'execute_reply', content={'status': 'ok'})
        start = time.monotonic()
        _, msg = await asyncio.gather(reply(), run_notebooks.PolledChannel(client, session).get_msg(timeout=5))
        kernel.close(0); client.close(0); ctx.term()
        return msg, time.monotonic() - start
    msg, seconds = asyncio.run(read())
    assert msg['msg_type'] == 'execute_reply' and msg['content'] == {'status': 'ok'}
    assert seconds < delay + 1

def test_notebook_client_uses_polled_channels():
    kc = run_notebooks.PolledNotebookClient(nbformat.v4.new_notebook(), kernel_name='python3').create_kernel_manager().client()
    for channel in ('shell', 'iopub', 'stdin', 'control'): assert getattr(kc, f'{channel}_channel_class') is run_notebooks.PolledChannel
