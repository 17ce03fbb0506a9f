"""Build the documentation site into _site/ from the notebooks, without Quarto: nbdev's notebook processing, then MkDocs.

Pages (paths as nbdev names them, so nbdev's links to symbols land on them: `nbs/04_mixup.ipynb` is `mixup.html`,
`nbs/machinery/00_core.ipynb` is `machinery/core.html`):
- Home: `nbs/index.ipynb` as `scripts/readme.py` renders it for README.md; Contributing: CONTRIBUTING.md;
- Lessons: `nbs/[0-9][0-9]_*.ipynb`, with whatever outputs the notebooks hold (`make outputs` adds them);
- API: `nbs/machinery/[0-9][0-9]_*.ipynb`, one page per module;
- Results: `nbs/machinery/08_results.ipynb` and each `results/*/README.md`.

Each notebook goes through nbdev's processors (`NBProcessor`): `#| hide`, `exporti`, `default_exp` and
`include: false` cells are dropped, `#| export` cells shown as code without their directives, a `show_doc` cell
added after each exported function or class that has none (`add_show_docs`), and backticked names linked to the
page that documents them (`add_links`). No notebook is executed: each `show_doc(...)` is evaluated in the namespace
of the notebook's module (`default_exp`), imported from the package, and rendered as a heading, the signature, the
docstring and a table of the parameters with their types, defaults and docments. Every notebook page starts with an
Open-in-Colab link. Formulas (`$...$`, `$$...$$`) become MathML, which browsers show without a script.

A relative link to a notebook or note that has a page becomes a link to that page, one to another file of the
repository a link to it on GitHub; a link to a file that does not exist fails the build. MkDocs runs with `--strict`
(mkdocs.yml's `validation`: a broken link or anchor between pages, or a page missing from the navigation, fails),
and then every `href` and `src` of the built HTML is checked: each must name a file of the site, and each `#anchor`
an id on its page.

Usage: python scripts/build_docs.py [--site DIR]   (default: _site beside settings.ini; the pages are written to
_proc/site/, or beside DIR as DIR-src/)
"""
from __future__ import annotations
import argparse, ast, base64, importlib, inspect, os, re, shutil, subprocess, sys, time
from functools import partial
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

os.environ.setdefault('NO_ALBUMENTATIONS_UPDATE', '1')   # no network call when the package imports albumentations
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'scripts'))   # readme.py
import yaml
from execnb.nbio import read_nb
from fastcore.docments import ShowDocRenderer, docments
from nbdev.config import get_config
from nbdev.doclinks import NbdevLookup, _nbpath2html
from nbdev.process import NBProcessor
from nbdev.processors import (populate_language, add_show_docs, strip_ansi, hide_line, filter_stream_, rm_header_dash,
                              hide_, add_links, strip_hidden_metadata, _default_exp)
from nbdev.showdoc import show_doc
from markdown.extensions.toc import slugify

cfg = get_config(path=ROOT)
NBS = ROOT/cfg.nbs_path
GIT_URL, BRANCH = cfg.git_url.rstrip('/'), cfg.branch
USER_REPO = GIT_URL.split('github.com/')[1]
DOC_PREFIX = cfg.doc_host.rstrip('/') + '/' + cfg.doc_baseurl.strip('/') + '/'   # where nbdev's symbol links point
PROC = ROOT/'_proc'/'site'    # MkDocs' docs_dir and config, written anew by each build (beside the site when not _site)
CSS = ROOT/'scripts'/'site.css'
WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json'
ANSI = re.compile(r'\x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])')

class BuildError(Exception): pass

# ---------------------------------------------------------------- pages
class Page:
    "One page of the site: `src` (a notebook or a markdown file) rendered to `dest` (a path under the docs folder)"
    def __init__(self, src:Path, dest:str, kind:str, title:str|None=None):
        self.src, self.dest, self.kind, self.title = src, dest, kind, title
        self.anchors, self.md = set(), ''
    @property
    def base(self) -> Path:
        "The folder the source's relative links start from (README.md's for the index notebook)"
        return ROOT if self.kind == 'readme' else self.src.parent
    def __repr__(self): return f'Page({self.dest})'

def nb_dest(nb:Path) -> str:
    "nbdev's page for notebook `nb`: its path under nbs/ without the number, as .md"
    return _nbpath2html(nb.relative_to(NBS)).with_suffix('.md').as_posix()

def site_pages() -> dict:
    "Navigation section -> pages, in order"
    lessons = sorted(NBS.glob('[0-9][0-9]_*.ipynb'))
    machinery = sorted((NBS/'machinery').glob('[0-9][0-9]_*.ipynb'))
    results_nb = [nb for nb in machinery if _nbpath2html(nb).stem == 'results']
    home = [Page(NBS/cfg.readme_nb, 'index.md', 'readme', 'Home')]
    if (ROOT/'CONTRIBUTING.md').exists(): home.append(Page(ROOT/'CONTRIBUTING.md', 'contributing.md', 'markdown', 'Contributing'))
    return {'Home': home,
            'Lessons': [Page(nb, nb_dest(nb), 'notebook') for nb in lessons],
            'API': [Page(nb, nb_dest(nb), 'notebook') for nb in machinery if nb not in results_nb],
            'Results': [Page(nb, nb_dest(nb), 'notebook') for nb in results_nb] +
                       [Page(f, f'results/{f.parent.name}.md', 'markdown', f.parent.name) for f in sorted((ROOT/'results').glob('*/README.md'))]}

# ---------------------------------------------------------------- show_doc as markdown with a parameter table
def anchor(name:str) -> str:
    "The id of `name`'s heading: what MkDocs' table of contents makes of it (`Learner.fit` is `learnerfit`)"
    return slugify(name, '-')

def _short(s:str) -> str:
    "A type or default as read: no module paths before class names (`pathlib.Path` is `Path`), no object addresses"
    s = re.sub(r'<(?:function|class) ([\w.]+)(?: at 0x[0-9a-f]+)?>', lambda m: m[1].split('.')[-1], s)
    return re.sub(r'\b(?:[a-z_]\w*\.)+(?=[A-Z])', '', s)

def _anno(a) -> str:
    "An annotation as read: class names without their modules (`pathlib.Path` is `Path`, `interaction.interactive` is `interactive`)"
    if a is inspect.Parameter.empty: return ''
    return re.sub(r'\b(?:[A-Za-z_]\w*\.)+(?=[A-Za-z_])', '', _short(a if isinstance(a, str) else inspect.formatannotation(a)))

def _signature(sym):
    for kw in ({'eval_str': True}, {}):
        try: return inspect.signature(sym, **kw)
        except Exception: pass

def _cell(s:str) -> str:
    "`s` for a markdown table cell: one line, pipes outside code spans escaped"
    parts = re.split(r'(`[^`]*`)', ' '.join(str(s).split()))
    return ''.join(p if p.startswith('`') else p.replace('|', r'\|') for p in parts)

def _code(s:str) -> str: return f'`{s}`' if s else ''

class SiteDoc(ShowDocRenderer):
    "`show_doc` for the site: heading (its id is `anchor(name)`), source link, signature, docstring, parameter table"

    def source_link(self) -> str:
        try:
            f, line = Path(inspect.getsourcefile(self.sym)).resolve(), inspect.getsourcelines(self.sym)[1]
            return f'{GIT_URL}/blob/{BRANCH}/{f.relative_to(ROOT).as_posix()}#L{line}'
        except Exception: return ''

    def params(self) -> list:
        sig = _signature(self.sym)
        return [] if sig is None else [p for n, p in sig.parameters.items() if n != 'self']

    def sig_text(self) -> str:
        sig, ps = _signature(self.sym), self.params()
        star = {inspect.Parameter.VAR_POSITIONAL: '*', inspect.Parameter.VAR_KEYWORD: '**'}
        def one(p):
            s = star.get(p.kind, '') + p.name + (f': {_anno(p.annotation)}' if p.annotation is not p.empty else '')
            return s + (f' = {_short(repr(p.default))}' if p.default is not p.empty else '')
        ret = f' -> {_anno(sig.return_annotation)}' if sig is not None and sig.return_annotation is not sig.empty else ''
        flat = f'{self.nm}({", ".join(map(one, ps))}){ret}'
        return flat if len(flat) <= 100 else f'{self.nm}(\n' + ''.join(f'    {one(p)},\n' for p in ps) + f'){ret}'

    def table(self) -> str:
        try: dm = docments(self.sym, full=True)
        except Exception: dm = {}
        rows = []
        for p in self.params():
            d = dm.get(p.name, {}) or {}
            pre = {inspect.Parameter.VAR_POSITIONAL: '*', inspect.Parameter.VAR_KEYWORD: '**'}.get(p.kind, '')
            default = _code(_short(repr(p.default))) if p.default is not p.empty else ''
            rows.append([_code(pre + p.name), _code(_anno(p.annotation)), default, d.get('docment') or ''])
        sig, ret = _signature(self.sym), dm.get('return', {}) or {}
        ret_anno = _anno(sig.return_annotation) if sig is not None and not inspect.isclass(self.sym) else ''
        if ret_anno or ret.get('docment'): rows.append(['**Returns**', _code(ret_anno), '', ret.get('docment') or ''])
        if not rows: return ''
        nl = NbdevLookup()
        lines = ['| | **Type** | **Default** | **Details** |', '|---|---|---|---|']
        return '\n'.join(lines + ['| ' + ' | '.join(_cell(nl.link_line(c)) for c in r) + ' |' for r in rows])

    def _repr_markdown_(self) -> str:
        out = [f'{"#" * self.title_level} `{self.nm}` {{ .doc-heading }}']   # its id: `anchor(self.nm)`
        if src := self.source_link(): out.append(f'[source]({src}){{ .doc-source }}')
        if self.params() or inspect.isroutine(self.sym) or inspect.isclass(self.sym): out.append(f'```python\n{self.sig_text()}\n```')
        if self.docs: out.append(NbdevLookup().linkify(self.docs))
        if tbl := self.table(): out.append(tbl)
        return '<div class="doc-entry" markdown="1">\n\n' + '\n\n'.join(out) + '\n\n</div>'

def render_show_docs(source:str, ns:dict, where:str) -> list:
    "Markdown of each `show_doc(...)` statement in `source`, evaluated in `ns`"
    res = []
    for stmt in ast.parse(source).body:
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and getattr(stmt.value.func, 'id', '') == 'show_doc'):
            raise BuildError(f'{where}: a show_doc cell may hold only show_doc(...) calls, not: {ast.unparse(stmt)[:80]}')
        try: r = eval(compile(ast.Expression(stmt.value), where, 'eval'), ns)
        except Exception as e: raise BuildError(f'{where}: {ast.unparse(stmt)} failed: {type(e).__name__}: {e}') from e
        if r is not None: res.append(r._repr_markdown_())
    return res

def module_namespace(mod:str|None) -> dict:
    "Names of module `mod` (a notebook's `default_exp`), imported from the package, with the site's `show_doc`"
    ns = dict(vars(importlib.import_module(f'{cfg.lib_name}.{mod}'))) if mod else {}
    ns['show_doc'] = partial(show_doc, renderer=SiteDoc)
    return ns

# ---------------------------------------------------------------- notebooks as markdown
def drop_hidden(cell):
    "Drop cells that nbdev keeps out of the docs besides `#| hide`: internal exports, `default_exp`, `include: false`"
    d = cell.directives_
    if d.keys() & {'exporti', 'default_exp'} or d.get('include:') == ['false']: del cell['source']
    elif d.get('output:') == ['false']: cell['outputs'] = []

PROCS = [populate_language, add_show_docs, strip_ansi, hide_line, filter_stream_, rm_header_dash, hide_, drop_hidden,
         add_links, strip_hidden_metadata]

def fence(text:str, *classes) -> str:
    ticks = '`' * max(3, 1 + max((len(m) for m in re.findall(r'`+', text)), default=0))
    return f'{ticks} {{ .text {" ".join("." + c for c in classes)} }}\n{ANSI.sub("", text).rstrip()}\n{ticks}'

def render_output(o, page:Page, name:str) -> str|None:
    "Markdown for one output; images are written beside the page, in <page>_files/"
    t = o.get('output_type')
    if t == 'stream': return fence(''.join(o.get('text', '')), 'nb-output', f'nb-{o.get("name", "stdout")}')
    if t == 'error': return fence('\n'.join(o.get('traceback', [])), 'nb-output', 'nb-error')
    data = o.get('data', {})
    if WIDGET_VIEW in data: return None   # a saved notebook has no kernel behind its widgets
    for mime, ext in (('image/png', 'png'), ('image/jpeg', 'jpg'), ('image/svg+xml', 'svg')):
        if mime in data:
            raw = ''.join(data[mime])
            folder = PurePosixPath(page.dest).stem + '_files'
            dest = PROC/'docs'/PurePosixPath(page.dest).parent/folder/f'{name}.{ext}'
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(raw.encode() if ext == 'svg' else base64.b64decode(raw))
            return f'![output]({folder}/{name}.{ext}){{ .nb-output .nb-image }}'
    if 'text/markdown' in data: return f'<div class="nb-output nb-markdown" markdown="1">\n\n{"".join(data["text/markdown"])}\n\n</div>'
    if 'text/html' in data: return f'<div class="nb-output nb-html">\n{"".join(data["text/html"]).strip()}\n</div>'
    if 'text/plain' in data: return fence(''.join(data['text/plain']), 'nb-output', 'nb-result')
    return None

def colab_link(nb:Path) -> str:
    url = f'https://colab.research.google.com/github/{USER_REPO}/blob/{BRANCH}/{nb.relative_to(ROOT).as_posix()}'
    return f'[Open in Colab]({url}){{ .md-button .colab-link }}'

def notebook_markdown(page:Page) -> str:
    nb = read_nb(page.src)
    mod = _default_exp(nb)   # before the processors take the directives out of the cells
    proc = NBProcessor(nb=nb, procs=PROCS)
    proc.process()
    ns, parts, titled = None, [], False
    for i, cell in enumerate(proc.nb.cells):
        where = f'{page.src.relative_to(ROOT)}, cell {i}'
        if cell.cell_type == 'markdown':
            parts.append(tex_to_mathml(cell.source, where))
            if not titled and re.match(r'\s*#\s', cell.source): parts.append(colab_link(page.src)); titled = True
        elif cell.cell_type == 'code':
            src = cell.source.strip()
            if getattr(cell, 'has_sd', False) or re.match(r'show_doc\(', src):
                if ns is None: ns = module_namespace(mod)
                parts += render_show_docs(src, ns, where)
                continue
            if src and not cell.directives_.get('echo:') == ['false']: parts.append(f'```python\n{src}\n```')
            for j, o in enumerate(cell.get('outputs', [])):
                if (md := render_output(o, page, f'cell{i}-{j}')) is not None: parts.append(md)
    if not titled: parts.insert(0, colab_link(page.src))
    return '\n\n'.join(parts) + '\n'

def readme_markdown(page:Page) -> str:
    "The index notebook as README.md has it (scripts/readme.py); measured times it cannot find yet are left blank"
    import readme
    args = (page.src, ROOT)[:len(inspect.signature(readme.readme_text).parameters)]   # older readme.py: the notebook only
    try: return readme.readme_text(*args)
    except (FileNotFoundError, KeyError) as e:
        print(f'warning: {e}: the lesson times on the home page are left blank', file=sys.stderr)
        readme.fill_times = lambda text, root: re.sub(r'\{\{run_all:[\w.-]+\}\}', '–', text)
        return readme.readme_text(*args)

# ---------------------------------------------------------------- math
DISPLAY_MATH = re.compile(r'\$\$(.+?)\$\$', re.S)
INLINE_MATH = re.compile(r'(?<![\\$\w])\$(?=\S)([^$\n]+?)(?<=\S)\$(?![\w$])')

def tex_to_mathml(md:str, where:str) -> str:
    "`md` with its `$...$` and `$$...$$` as MathML, which browsers show without a script (code left alone)"
    from latex2mathml.converter import convert
    def one(m, display):
        try: return convert(m[1].strip(), display='block' if display else 'inline')
        except Exception as e: raise BuildError(f'{where}: cannot read the formula {m[0][:80]!r}: {type(e).__name__}: {e}') from e
    chunks = re.split(r'(^```[\s\S]*?^```|`[^`\n]*`)', md, flags=re.M)
    return ''.join(c if c.startswith('`') else INLINE_MATH.sub(partial(one, display=False), DISPLAY_MATH.sub(partial(one, display=True), c))
                   for c in chunks)

# ---------------------------------------------------------------- links
MD_LINK = re.compile(r'(!?\[(?:[^\[\]]|\[[^\]]*\])*\]\()(<[^>]+>|[^)\s]+)((?:\s+"[^"]*")?\))')

def rel(dest:str, frm:str) -> str: return Path(os.path.relpath(dest, PurePosixPath(frm).parent.as_posix())).as_posix()

class Linker:
    "Rewrites a page's links: to pages of the site where there is one, to GitHub for other files of the repository"
    def __init__(self, pages:list):
        self.by_src = {p.src.resolve(): p for p in pages}
        self.by_dest = {p.dest: p for p in pages}
        self.errors = []

    def doc_link(self, url:str, page:Page) -> str:
        "nbdev's link to a symbol (`DOC_PREFIX` + page.html#anchor) as a link to its page here"
        path, _, frag = url[len(DOC_PREFIX):].partition('#')
        target = self.by_dest.get(str(PurePosixPath(path).with_suffix('.md')))
        if target is None:
            self.errors.append(f'{page.src.relative_to(ROOT)}: nbdev links to {url}, a page this site does not have')
            return url
        # nbdev's anchor is the lower-case name (`learner.fit`); a method without an entry of its own goes to its class
        ids = [anchor(a) for a in (frag, frag.split('.')[0])]
        frag = next((a for a in ids if a in target.anchors), '')
        return (rel(target.dest, page.dest) if target is not page else '') + (f'#{frag}' if frag else '') or '#'

    def fix(self, target:str, page:Page) -> str:
        if target.startswith('<') and target.endswith('>'): target = target[1:-1]
        if target.startswith(DOC_PREFIX): return self.doc_link(target, page)
        if urlsplit(target).scheme or target.startswith(('#', '//')): return target
        path, _, frag = target.partition('#')
        if path.startswith(PurePosixPath(page.dest).stem + '_files/'): return target   # an output written beside the page
        p = (page.base/unquote(path)).resolve()
        if p in self.by_src: return rel(self.by_src[p].dest, page.dest) + (f'#{frag}' if frag else '')
        if p.exists() and ROOT in p.parents:
            return f'{GIT_URL}/{"tree" if p.is_dir() else "blob"}/{BRANCH}/{p.relative_to(ROOT).as_posix()}' + (f'#{frag}' if frag else '')
        self.errors.append(f'{page.src.relative_to(ROOT)}: link to {target}: no such file')
        return target

    def __call__(self, md:str, page:Page) -> str:
        "`md` with its inline links fixed, fenced code left alone"
        chunks = re.split(r'(^```[\s\S]*?^```)', md, flags=re.M)
        return ''.join(c if c.startswith('```') else MD_LINK.sub(lambda m: m[1] + self.fix(m[2], page) + m[3], c) for c in chunks)

# ---------------------------------------------------------------- the built site's links
class _Refs(HTMLParser):
    def __init__(self):
        super().__init__(); self.refs, self.ids = [], set()
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k in ('id', 'name'):
            if a.get(k) and (k == 'id' or tag == 'a'): self.ids.add(a[k])
        for k in ('href', 'src'):
            if a.get(k) and not (tag == 'link' and a.get('rel') in ('canonical',)): self.refs.append(a[k])

def check_site_links(site:Path) -> list:
    "Every relative href/src of every HTML page of `site` that names no file, or an id its page lacks"
    pages, bad = {}, []
    root_path = urlsplit(yaml.safe_load((ROOT/'mkdocs.yml').read_text())['site_url']).path
    for f in site.rglob('*.html'):
        p = _Refs(); p.feed(f.read_text(encoding='utf-8')); pages[f.resolve()] = p
    for f, p in sorted(pages.items()):
        for ref in p.refs:
            u = urlsplit(ref)
            if u.scheme or ref.startswith('//'): continue
            if u.path.startswith('/'):   # from the site's root as served (404.html): the path under site_url's
                if not u.path.startswith(root_path): bad.append(f'{f.relative_to(site)}: {ref} (outside the site)'); continue
                target = (site/unquote(u.path[len(root_path):])).resolve()
            else: target = (f.parent/unquote(u.path)).resolve() if u.path else f
            if target.is_dir(): target = target/'index.html'
            if not target.exists() or site.resolve() not in [target, *target.parents]:
                bad.append(f'{f.relative_to(site)}: {ref} (no such file)')
            elif u.fragment and target.suffix == '.html' and target in pages and unquote(u.fragment) not in pages[target].ids:
                bad.append(f'{f.relative_to(site)}: {ref} (no id "{u.fragment}" on that page)')
    return bad

# ---------------------------------------------------------------- the build
def write_pages(sections:dict) -> None:
    pages = [p for ps in sections.values() for p in ps]
    if PROC.exists(): shutil.rmtree(PROC)
    (PROC/'docs'/'stylesheets').mkdir(parents=True)
    shutil.copy(CSS, PROC/'docs'/'stylesheets'/'site.css')
    errors = []
    for p in pages:   # first every page's markdown, so that links can check the anchors of any page
        try:
            p.md = (notebook_markdown(p) if p.kind == 'notebook' else readme_markdown(p) if p.kind == 'readme'
                    else tex_to_mathml(p.src.read_text(encoding='utf-8'), str(p.src.relative_to(ROOT))))
        except BuildError as e: errors.append(str(e))
        p.anchors = {anchor(a) for a in re.findall(r'^#+ `([^`]+)` \{ \.doc-heading \}', p.md, flags=re.M)}
    linker = Linker(pages)
    for p in pages:
        md = p.md if p.kind == 'notebook' else NbdevLookup().linkify(p.md)   # notebooks were linked by add_links
        dest = PROC/'docs'/p.dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(linker(md, p), encoding='utf-8')
    errors += linker.errors
    if errors: raise BuildError('\n'.join(errors))
    nav = [{section: [p.dest if p.title is None else {p.title: p.dest} for p in ps]} for section, ps in sections.items()]
    (PROC/'mkdocs.yml').write_text(yaml.safe_dump({'INHERIT': str(ROOT/'mkdocs.yml'), 'docs_dir': 'docs', 'nav': nav},
                                                  sort_keys=False, allow_unicode=True))

def build(site:Path) -> None:
    global PROC
    if site != ROOT/'_site': PROC = site.with_name(site.name + '-src')   # builds elsewhere (the tests) share nothing
    started = time.perf_counter()
    sections = site_pages()
    missing = [p.src for ps in sections.values() for p in ps if not p.src.exists()]
    if missing or not all(sections[s] for s in ('Lessons', 'API', 'Results')): raise BuildError(f'missing sources: {missing or sections}')
    write_pages(sections)
    res = subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '--strict', '--clean', '-f', str(PROC/'mkdocs.yml'),
                          '-d', str(site)], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, 'NO_MKDOCS_2_WARNING': '1'})
    log = [l for l in (res.stdout + res.stderr).splitlines() if l.strip()]
    if res.returncode != 0: raise BuildError('mkdocs build --strict failed:\n' + '\n'.join(log[-40:]))
    if bad := check_site_links(site): raise BuildError(f'{len(bad)} broken link(s) in the built site:\n' + '\n'.join(bad[:50]))
    n = sum(len(ps) for ps in sections.values())
    print(f'{n} pages built into {site} in {time.perf_counter() - started:.0f} s; links checked', flush=True)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--site', type=Path, default=ROOT/'_site', help='where to build the site')
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))   # show_doc documents this checkout's package, wherever pip installed one
    try: build(args.site.resolve())
    except BuildError as e: sys.exit(f'docs build failed: {e}')
