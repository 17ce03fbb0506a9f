"""Run lessons as Jupyter's Run All runs them and save them with their outputs, so they can be read without running.

Each notebook runs top to bottom in a fresh kernel, every cell whatever its flags (as `run_notebooks.py --all-cells`,
through its `PolledNotebookClient`), in the notebook's own folder, with the real data (`$CHAPTER7_DATA`). Then:

- figures are PNGs at 72 dpi (a first cell sets `InlineBackend.figure_format` and `figure.dpi`; it is removed
  again), stored with a palette of 256 colours where that is smaller (a third of the bytes for photos, with no
  difference to see), so a lesson's outputs stay small;
- an ipywidgets view is replaced by the text its `Output` widgets held when its cell finished (the target a slider
  prints), or dropped when they held none: a saved notebook has no live kernel behind its sliders, and each lesson
  shows a static figure beside each widget;
- this machine's folders in the outputs become `$CHAPTER7_DATA`, `~` and `.` (the checkout);
- every code cell gets `chapter7_source_sha` in its metadata, the first 12 hex digits of the SHA-1 of its source,
  so `tests/test_outputs.py` can tell when a cell was edited after its outputs were made;
- the notebook is cleaned as `nbdev_clean` cleans it (no execution counts, only the cell metadata `settings.ini`
  allows) and written back. A notebook with a failing cell is left as it was.

Exits 1 if any notebook failed. A cell may take `--timeout` seconds (default 600: not a speed test, `make test` is).
Usage: python scripts/execute_lessons.py [--timeout SECONDS] NOTEBOOK...
"""
from __future__ import annotations
import copy, hashlib, json, os, sys, time
from pathlib import Path
import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_notebooks import PolledNotebookClient

ROOT = Path(__file__).resolve().parents[1]
HASH_KEY = 'chapter7_source_sha'
WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json'
SETUP = ("%config InlineBackend.figure_format = 'png'\n"
         "import matplotlib\nmatplotlib.rcParams['figure.dpi'] = 72   # small PNGs: a lesson is committed with its figures")
CELL_TIMEOUT = 600     # seconds
WARN_BYTES = 400_000   # a lesson larger than this after running is named in the log

def source_hash(source) -> str:
    "First 12 hex digits of the SHA-1 of a cell's source (a string, or a list of lines as stored in the file)"
    return hashlib.sha1((''.join(source) if isinstance(source, list) else source).encode('utf-8')).hexdigest()[:12]

def widget_text(model_id:str, state:dict, seen=None) -> list:
    "Text outputs held by the `Output` widgets inside widget `model_id` (depth first), as notebook outputs"
    seen = set() if seen is None else seen
    if model_id in seen or model_id not in state: return []
    seen.add(model_id)
    st, res = state[model_id], []
    for o in st.get('outputs', []) if st.get('_model_name') == 'OutputModel' else []:
        if o.get('output_type') == 'stream': res.append(nbformat.v4.new_output('stream', name=o['name'], text=o['text']))
        elif 'text/plain' in o.get('data', {}) and not any(k.startswith('image/') for k in o['data']):
            res.append(nbformat.v4.new_output('stream', name='stdout', text=''.join(o['data']['text/plain']) + '\n'))
    for child in st.get('children', []):
        if isinstance(child, str) and child.startswith('IPY_MODEL_'): res += widget_text(child[len('IPY_MODEL_'):], state, seen)
    return res

def without_widget_views(outputs:list, snapshot:dict) -> list:
    "`outputs` with each widget view replaced by the text its widget held when its cell finished (`snapshot`)"
    res = []
    for o in outputs:
        view = o.get('data', {}).get(WIDGET_VIEW)
        if view is None: res.append(o)
        else: res += copy.deepcopy(snapshot.get(view.get('model_id'), []))
    return res

def smaller_png(b64:str) -> str:
    "PNG `b64` (base64) with a 256-colour palette, on white, if that is smaller; else as it was"
    import base64, io
    from PIL import Image
    raw = base64.b64decode(b64)
    im = Image.open(io.BytesIO(raw)).convert('RGBA')
    flat = Image.alpha_composite(Image.new('RGBA', im.size, 'white'), im).convert('RGB')
    buf = io.BytesIO()
    flat.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(buf, 'PNG', optimize=True)
    return base64.b64encode(buf.getvalue()).decode() + '\n' if buf.tell() < len(raw) else b64

def machine_paths() -> list:
    "(folder, what to write instead) for this machine's folders, longest first"
    subs = {str(ROOT): '.', str(Path.home()): '~'}
    if data := os.environ.get('CHAPTER7_DATA'):   # as given, and with links resolved
        for d in (data.rstrip('/'), str(Path(data).expanduser().resolve())): subs[d] = '$CHAPTER7_DATA'
    return sorted(((k, v) for k, v in subs.items() if len(k) > 1), key=lambda kv: -len(kv[0]))

def scrub(text, subs):
    if isinstance(text, list): return [scrub(t, subs) for t in text]
    for old, new in subs: text = text.replace(old, new)
    return text

def scrub_outputs(outputs:list, subs:list) -> None:
    "Replace this machine's folders in the text of `outputs`, in place"
    for o in outputs:
        if 'text' in o: o['text'] = scrub(o['text'], subs)
        for k, v in o.get('data', {}).items():
            if k.startswith('text/') or k == 'application/json' and isinstance(v, str): o['data'][k] = scrub(v, subs)
        if 'traceback' in o: o['traceback'] = scrub(o['traceback'], subs)

def execute(fn:Path, timeout:float=CELL_TIMEOUT) -> dict:
    "Run notebook `fn` with a fresh kernel in its own folder; the notebook as stored (a dict), with outputs and hashes"
    nb = nbformat.read(fn, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(SETUP))
    snapshots = {}   # cell index -> {widget model id: its text outputs when the cell finished}
    def on_cell_executed(cell, cell_index, execute_reply):
        views = [o['data'][WIDGET_VIEW]['model_id'] for o in cell.get('outputs', []) if WIDGET_VIEW in o.get('data', {})]
        if views: snapshots[cell_index] = {m: widget_text(m, client.widget_state) for m in views}
    started = time.perf_counter()
    client = PolledNotebookClient(nb, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(fn.parent)}},
                                  on_cell_executed=on_cell_executed, store_widget_state=True)
    client.execute()
    print(f'     ran {fn} in {time.perf_counter() - started:.0f} s', flush=True)
    ran = nb.cells[1:]
    stored = json.loads(fn.read_text(encoding='utf-8'))
    if len(stored['cells']) != len(ran): raise RuntimeError(f'{fn} changed while it ran: run it again')
    subs = machine_paths()
    for i, (cell, out) in enumerate(zip(stored['cells'], ran)):
        if cell['cell_type'] != 'code': continue
        if source_hash(cell['source']) != source_hash(out.source): raise RuntimeError(f'{fn} changed while it ran: run it again')
        outputs = without_widget_views(out.outputs, snapshots.get(i + 1, {}))
        scrub_outputs(outputs, subs)
        for o in outputs:
            if 'image/png' in o.get('data', {}): o['data']['image/png'] = smaller_png(o['data']['image/png'])
        cell['outputs'] = json.loads(json.dumps(outputs))   # plain dicts, as read from a file
        cell.setdefault('metadata', {})[HASH_KEY] = source_hash(cell['source'])
    return stored

def save(nb:dict, fn:Path) -> None:
    "Write `nb` to `fn` cleaned as `nbdev_clean` cleans it (so `nbdev_clean` afterwards changes nothing)"
    from execnb.nbio import write_nb
    from nbdev.clean import clean_nb
    from nbdev.config import get_config
    cfg = get_config(path=ROOT)
    cell_keys = cfg.get('allowed_cell_metadata_keys').split()
    if HASH_KEY not in cell_keys: raise SystemExit(f'{HASH_KEY} must be in allowed_cell_metadata_keys of settings.ini, or nbdev_clean drops it')
    clean_nb(nb, False, cfg.get('allowed_metadata_keys').split(), cell_keys, cfg.clean_ids)
    write_nb(nb, fn)

def check_data() -> None:
    "Fail unless the real Imagenette is there: lessons saved with the synthetic stand-in would show the wrong figures"
    data = os.environ.get('CHAPTER7_DATA')
    where = Path(data).expanduser() if data else Path.home()/'.fastai'/'data'
    if not (where/'imagenette2-160'/'train').is_dir():
        sys.exit(f'No imagenette2-160/ under {where}: set CHAPTER7_DATA to the folder that holds it')

if __name__ == '__main__':
    args, timeout = sys.argv[1:], CELL_TIMEOUT
    if args[:1] == ['--timeout']: timeout, args = float(args[1]), args[2:]
    if not args or args[0].startswith('-'): sys.exit(__doc__)
    check_data()
    failed = []
    for name in args:
        fn = Path(name).resolve()
        try:
            save(execute(fn, timeout), fn)
            size = fn.stat().st_size
            print(f"ok   {name} ({size / 1000:.0f} kB{', over ' + str(WARN_BYTES // 1000) + ' kB' if size > WARN_BYTES else ''})", flush=True)
        except Exception as e:
            print(f'FAIL {name}: {type(e).__name__}: {str(e)[-3000:]}', flush=True)
            failed.append(name)
    if failed: sys.exit(f'{len(failed)} notebook(s) failed, left as they were: {", ".join(failed)}')
