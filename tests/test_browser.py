"""The widgets as a student meets them: JupyterLab in a real (headless) Chromium, driven by Playwright.

Runs the widget cells of the Mixup, label-smoothing and augmentation notebooks, moves the λ, ε and rotation
sliders, and checks that what the widgets print (targets, the `aug_transforms` call) changes as the numbers say.
Screenshots are saved in test-artifacts/.
Skips, saying why, only where Chromium cannot be installed.
"""
import json, os, re, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT/'test-artifacts'
CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync']

def find_chromium() -> str:
    "Path of Debian's Chromium, installing it with apt-get if it is missing; skip the tests if that fails"
    for exe in ('chromium', 'chromium-browser'):
        if path := shutil.which(exe): return path
    res = subprocess.run('apt-get install -y -q chromium || (apt-get update -q && apt-get install -y -q chromium)',
                         shell=True, capture_output=True, text=True)
    if path := shutil.which('chromium'): return path
    pytest.skip(f'Chromium is not installed and could not be installed with apt-get: {res.stderr.strip()[-300:]}')

def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]

def widget_notebook(src:str, upto:str, dest:Path) -> Path:
    "Copy of notebook `src` with its cells up to and including the first one containing `upto`"
    nb = json.loads((ROOT/'nbs'/src).read_text())
    end = next(i for i, c in enumerate(nb['cells']) if upto in ''.join(c['source']))
    nb['cells'] = nb['cells'][:end + 1]
    (dest/src).write_text(json.dumps(nb))
    return dest/src

@pytest.fixture(scope='module')
def lab(tmp_path_factory):
    "JupyterLab on a free localhost port, no token, its own config and workspace folders; yields its URL and folder"
    root = tmp_path_factory.mktemp('lab')
    port = free_port()
    (root/'tmp').mkdir()   # the kernels' temporary folders: they stop before the notebooks' last cell, which removes its own
    env = {**os.environ, 'JUPYTER_CONFIG_DIR': str(root/'.config'), 'OMP_NUM_THREADS': '1', 'TMPDIR': str(root/'tmp')}
    cmd = [sys.executable, '-m', 'jupyterlab', '--no-browser', f'--port={port}', '--ip=127.0.0.1', '--allow-root',
           '--ServerApp.token=', '--ServerApp.password=', '--ServerApp.disable_check_xsrf=True',
           f'--ServerApp.root_dir={root}', f'--LabApp.workspaces_dir={root/".workspaces"}', '--LabApp.news_url=None']
    log = open(root/'lab.log', 'w')
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}'
    for _ in range(120):
        try:
            urllib.request.urlopen(f'{url}/api/status', timeout=2)
            break
        except OSError: time.sleep(0.5)
    else: pytest.fail(f'JupyterLab did not start: {(root/"lab.log").read_text()[-2000:]}')
    yield url, root
    proc.terminate(); proc.wait(timeout=30); log.close()

@pytest.fixture
def page(browser):
    "A fresh page (and so a fresh JupyterLab window) for each test"
    pg = browser.new_page(viewport={'width': 1400, 'height': 1000})
    yield pg
    pg.close()

def run_all_and_wait(page, url:str, nb:Path, text:str):
    "Open `nb` in JupyterLab, run all its cells, and wait until an output shows `text`"
    page.goto(f'{url}/lab/workspaces/{nb.stem}/tree/{nb.name}?reset')   # a workspace of its own: only this notebook open
    page.wait_for_selector('.jp-Notebook .jp-Cell', timeout=60_000)
    page.locator('.jp-StatusBar-Widget', has_text='| Idle').first.wait_for(timeout=120_000)   # the kernel is up
    started = page.locator('.jp-InputArea-prompt', has_text=re.compile(r'\[(\*|\d+)\]'))
    for _ in range(5):   # a click that lands while JupyterLab is still settling does nothing: try again
        page.locator('.lm-MenuBar-itemLabel', has_text='Run').first.click()
        item = page.locator('.lm-Menu-itemLabel', has_text='Run All Cells').first
        item.wait_for(timeout=10_000)
        item.click()
        try:
            started.first.wait_for(timeout=10_000)
            break
        except Exception: page.keyboard.press('Escape')
    try: page.locator('.jp-OutputArea-output', has_text=text).first.wait_for(timeout=240_000)
    except Exception:
        shot(page, f'{nb.stem}-timeout')
        raise

def set_slider(page, value:float):
    "Type `value` into the first slider's readout, as a student can"
    readout = page.locator('.widget-slider .widget-readout').first
    readout.click()
    page.keyboard.press('Control+A')
    page.keyboard.type(f'{value}')
    page.keyboard.press('Enter')

def shot(page, name:str):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS/f'{name}.png'), full_page=True)

WIDGETS = [  # notebook, the cell that shows the widget, printed text before, new value of the first slider, text after
    ('04_mixup.ipynb', 'w = mixup_widget(', 'mixed target: gas pump 0.70 · church 0.30', 0.8, 'mixed target: church 0.80 · gas pump 0.20'),
    ('05_label_smoothing.ipynb', 'w = smoothing_widget(', 'target: chain saw 0.910 · every other class 0.010', 0.5,
     'target: chain saw 0.550 · every other class 0.050'),
    ('08_augmentation.ipynb', 'w = augmentation_widget(', 'aug_transforms(size=128)', 45, 'aug_transforms(size=128, max_rotate=45)')]

@pytest.mark.parametrize('nb,cell,before,value,after', WIDGETS, ids=['mixup-lambda', 'smoothing-eps', 'augment-rotate'])
def test_slider_changes_printed_target(lab, page, nb, cell, before, value, after):
    url, root = lab
    nb = widget_notebook(nb, cell, root)
    run_all_and_wait(page, url, nb, before)
    shot(page, f'{nb.stem}-before')
    set_slider(page, value)
    page.locator('.jp-OutputArea-output', has_text=after).first.wait_for(timeout=60_000)
    assert page.locator('.jp-OutputArea-output', has_text=before).count() == 0   # the old output is replaced
    shot(page, f'{nb.stem}-after')
