"Fixtures shared by the browser tests (the widgets in JupyterLab, the documentation site)"
import pytest

@pytest.fixture(scope='module')
def browser():
    "Headless Chromium (Debian's, installed with apt-get if missing), driven by Playwright"
    from test_browser import find_chromium, CHROMIUM_FLAGS
    exe = find_chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()
