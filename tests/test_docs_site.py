"""The documentation site as a reader meets it: built by `scripts/build_docs.py` (what `make docs` runs), served on
127.0.0.1 and opened in a headless Chromium driven by Playwright (found or installed as `test_browser.py` does).

Checks that every notebook and note has its page with an Open-in-Colab link, that hidden cells are left out and
exported code shown, that no link inside the site is broken, that the Mixup lesson shows a figure from the notebook's
outputs (there is one only once `make outputs` has been run and committed), and that `get_dls`'s API entry shows its
parameter table. Screenshots are saved in test-artifacts/.
Set CHAPTER7_SITE to a folder `make docs` built to check that instead of building a fresh one.
"""
import functools, os, re, subprocess, sys, threading
from html import unescape
from collections import deque
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urldefrag
from urllib.request import urlopen
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'scripts'))
sys.path.insert(0, str(Path(__file__).resolve().parent))
ARTIFACTS = ROOT/'test-artifacts'
COLAB = 'https://colab.research.google.com/github/chapter7/chapter7/blob/main/'

def page_of(nb:Path) -> str:
    "The site's page for notebook `nb`, named as nbdev names it (nbs/04_mixup.ipynb: mixup.html)"
    from nbdev.doclinks import _nbpath2html
    return _nbpath2html(nb.relative_to(ROOT/'nbs')).as_posix()

NOTEBOOKS = sorted((ROOT/'nbs').glob('[0-9][0-9]_*.ipynb')) + sorted((ROOT/'nbs'/'machinery').glob('[0-9][0-9]_*.ipynb'))

@pytest.fixture(scope='module')
def site(tmp_path_factory) -> Path:
    if prebuilt := os.environ.get('CHAPTER7_SITE'): return Path(prebuilt).resolve()
    out = tmp_path_factory.mktemp('site')/'_site'
    res = subprocess.run([sys.executable, str(ROOT/'scripts'/'build_docs.py'), '--site', str(out)], capture_output=True, text=True)
    assert res.returncode == 0, f'the site did not build:\n{(res.stdout + res.stderr)[-4000:]}'
    return out

class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args): pass

@pytest.fixture(scope='module')
def url(site) -> str:
    "The site served on a free port of 127.0.0.1"
    server = ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}/'
    server.shutdown(); server.server_close(); thread.join(timeout=10)

@pytest.fixture
def page(browser, url):
    "A fresh page; fails the test if the site itself answers a request with an error or not at all"
    pg = browser.new_page(viewport={'width': 1300, 'height': 900})
    failed = []
    pg.on('response', lambda r: failed.append(f'{r.status} {r.url}') if r.url.startswith(url) and r.status >= 400 else None)
    pg.on('requestfailed', lambda r: failed.append(f'failed {r.url}') if r.url.startswith(url) else None)
    yield pg
    pg.close()
    assert not failed, f'the site did not serve: {failed}'

def shot(pg, name:str, locator=None):
    ARTIFACTS.mkdir(exist_ok=True)
    (locator or pg).screenshot(path=str(ARTIFACTS/f'site-{name}.png'), **({} if locator else {'full_page': False}))

def test_every_notebook_and_note_has_a_page(site):
    pages = [page_of(nb) for nb in NOTEBOOKS] + [f'results/{f.parent.name}.html' for f in (ROOT/'results').glob('*/README.md')]
    missing = [p for p in ['index.html', *pages] if not (site/p).exists()]
    assert not missing, missing
    assert {'mixup.html', 'data.html', 'machinery/core.html', 'machinery/results.html'} <= set(pages)

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT/'nbs')))
def test_notebook_page_opens_in_colab(site, nb):
    html = (site/page_of(nb)).read_text(encoding='utf-8')
    assert f'href="{COLAB}{nb.relative_to(ROOT).as_posix()}"' in html

def test_directives_apply(site):
    html = (site/'mixup.html').read_text(encoding='utf-8')
    text = unescape(re.sub(r'<[^>]+>', '', html))
    assert 'tempfile.tempdir = ' not in text and 'google.colab' not in text  # `#| hide` cells are left out
    assert '#| export' not in text and 'default_exp' not in text           # directives are not shown
    assert 'def mix_images(' in text                                        # `#| export` cells are shown as code
    assert 'class="doc-entry"' in html and '<h3 class="doc-heading" id="mix_images">' in html   # and documented

def test_no_broken_links_inside_the_site(site, url):
    "Every page reached from the home page, and every file and #anchor its links and images name, is served"
    from build_docs import check_site_links
    assert check_site_links(site) == []
    from html.parser import HTMLParser
    class Refs(HTMLParser):
        def __init__(self): super().__init__(); self.refs, self.ids = [], set()
        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if a.get('id'): self.ids.add(a['id'])
            self.refs += [a[k] for k in ('href', 'src') if a.get(k) and a.get('rel') != 'canonical']
    seen, parsed, todo, bad = set(), {}, deque([url + 'index.html']), []
    while todo:
        u = todo.popleft()
        if u in seen: continue
        seen.add(u)
        try:
            with urlopen(u, timeout=10) as r: body = r.read()
        except Exception as e: bad.append(f'{u}: {e}'); continue
        if u.endswith('.html'):
            p = Refs(); p.feed(body.decode('utf-8')); parsed[u] = p
            for ref in p.refs:
                target = urljoin(u, ref)
                if target.startswith(url): todo.append(urldefrag(target)[0]); parsed.setdefault('links', []).append((u, target))
    for frm, target in parsed.get('links', []):
        base, frag = urldefrag(target)
        if frag and base in parsed and frag not in parsed[base].ids: bad.append(f'{frm}: {target} (no such id)')
    assert not bad, bad
    assert len([u for u in seen if u.endswith('.html')]) >= len(NOTEBOOKS) + 2   # the crawl reached every page

def test_mixup_lesson_shows_a_figure(page, url):
    "Needs the lesson's outputs: fails until `make outputs` has been run and committed"
    page.goto(url + 'mixup.html')
    page.wait_for_selector('h1')
    images = page.locator('img.nb-image')
    if images.count() == 0:
        shot(page, 'mixup-no-figure')
        pytest.fail('the Mixup page has no figure: nbs/04_mixup.ipynb holds no image output (run `make outputs` and commit it)')
    first = images.first
    first.scroll_into_view_if_needed()
    first.wait_for(state='visible')
    assert page.evaluate('(img) => img.complete && img.naturalWidth', first.element_handle()) > 100
    shot(page, 'mixup-figure')

def test_get_dls_entry_shows_its_parameters(page, url):
    page.goto(url + 'data.html#get_dls')
    entry = page.locator('.doc-entry', has=page.locator('h3#get_dls'))
    entry.wait_for()
    headers = entry.locator('table th').all_inner_texts()
    assert [h.strip() for h in headers[1:4]] == ['Type', 'Default', 'Details'], headers
    rows = {r.locator('td').first.inner_text().strip(): r.locator('td').all_inner_texts() for r in entry.locator('table tbody tr').all()}
    assert {'bs', 'size', 'path', 'fast'} <= set(rows), rows
    assert rows['bs'][1:3] == ['int', '64'] and rows['bs'][3].strip() == 'Batch size', rows['bs']
    assert entry.locator('a.doc-source').get_attribute('href').startswith('https://github.com/chapter7/chapter7/blob/main/chapter7/data.py#L')
    entry.scroll_into_view_if_needed()
    shot(page, 'get_dls', entry)

def test_home_page_and_navigation(page, url):
    page.goto(url + 'index.html')
    page.wait_for_selector('h1')
    assert 'chapter7' in page.locator('h1').first.inner_text()
    nav = page.locator('nav.md-nav--primary').inner_text()
    for section in ('Lessons', 'API', 'Results', 'Mixup', 'Core'): assert section in nav, section
    shot(page, 'home')
    page.locator('nav.md-nav--primary a', has_text='Mixup').first.click()
    page.wait_for_url('**/mixup.html')
    assert page.locator('a.colab-link').count() == 1
