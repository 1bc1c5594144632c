"""Browser smoke test: a student opens a release notebook in JupyterLab (started with the
course environment), runs the setup cell and the first public check, and sees the
results on the page. Headless Debian Chromium driven by Playwright; a screenshot is kept
in build/test-artifacts/."""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from notebooks import ROOT

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
NAME = "00_introduction"
ARTIFACT = os.path.join(ROOT, "build", "test-artifacts", f"jupyterlab-{NAME}.png")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 60_000


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _isolated_env(home):
    """The course environment with every per-user Jupyter/IPython/matplotlib dir in ``home``."""
    env = dict(os.environ)
    dirs = {"HOME": "", "JUPYTER_CONFIG_DIR": ".jupyter", "JUPYTER_DATA_DIR": ".local/share/jupyter",
            "JUPYTER_RUNTIME_DIR": ".local/share/jupyter/runtime", "IPYTHONDIR": ".ipython",
            "JUPYTERLAB_SETTINGS_DIR": ".jupyter/lab/user-settings",
            "JUPYTERLAB_WORKSPACES_DIR": ".jupyter/lab/workspaces", "MPLCONFIGDIR": ".matplotlib",
            "XDG_CONFIG_HOME": ".config", "XDG_CACHE_HOME": ".cache", "XDG_DATA_HOME": ".local/share"}
    for var, sub in dirs.items():
        env[var] = os.path.join(home, sub)
        os.makedirs(env[var], exist_ok=True)
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_TOKEN", None)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    # No news/update pop-ups: nothing is fetched and the screenshot shows the notebook.
    notif = os.path.join(env["JUPYTERLAB_SETTINGS_DIR"], "@jupyterlab", "apputils-extension")
    os.makedirs(notif, exist_ok=True)
    with open(os.path.join(notif, "notification.jupyterlab-settings"), "w") as f:
        json.dump({"checkForUpdates": False, "fetchNews": "false"}, f)
    return env


@pytest.fixture
def lab(tmp_path):
    """JupyterLab serving a copy of the release folder: yields (base url, token, log path)."""
    root = tmp_path / "work"
    shutil.copytree(os.path.join(ROOT, "release", NAME), root)
    env = _isolated_env(str(tmp_path / "home"))
    token, port = secrets.token_hex(16), _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "jupyterlab.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
         f"--ServerApp.token={token}", "--ServerApp.ip=127.0.0.1", f"--port={port}",
         "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}",
         "--ServerApp.terminals_enabled=False", "--LabApp.news_url=None"],
        cwd=str(root), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited ({proc.returncode}):\n{log_path.read_text()[-3000:]}")
            try:
                req = urllib.request.Request(f"{url}/api/status",
                                             headers={"Authorization": f"token {token}"})
                with urllib.request.urlopen(req, timeout=2) as r:
                    if r.status == 200:
                        break
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer in 60 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url, token, log_path
    finally:
        _stop_server(proc, url, token)
        log.close()


def _stop_server(proc, url, token):
    """Ask the server to shut down (it stops its kernels), then terminate/kill its group."""
    if proc.poll() is None:
        try:
            req = urllib.request.Request(f"{url}/api/shutdown", method="POST", data=b"",
                                         headers={"Authorization": f"token {token}"})
            urllib.request.urlopen(req, timeout=5).close()
            proc.wait(timeout=15)
        except Exception:
            pass
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:  # the server's own process group (start_new_session): kernels included
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    proc.wait(timeout=5)


@pytest.fixture
def page(tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium to run the browser test)")
    from playwright.sync_api import sync_playwright
    home = tmp_path / "browser-home"
    home.mkdir()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                     env={**os.environ, "HOME": str(home)})
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1800})
            pg = context.new_page()
            pg.set_default_timeout(TIMEOUT_MS)
            yield pg
        finally:
            browser.close()


def _code_cell(page, text):
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell").filter(has_text=text).first


def _run(cell, attempts=3):
    """Put the cursor in the cell's editor and run it with Shift+Enter, then wait until it
    ran (prompt ``[n]``). JupyterLab silently drops a run while the kernel connection is
    still being set up (the prompt stays ``[ ]``): then run it again."""
    from playwright.sync_api import expect
    prompt = cell.locator(".jp-InputArea-prompt")
    for attempt in range(attempts):
        cell.scroll_into_view_if_needed()
        cell.locator(".jp-InputArea-editor .cm-content").click()
        cell.page.keyboard.press("Shift+Enter")
        try:  # queued ([*]) at once when the kernel took it
            expect(prompt).not_to_have_text(re.compile(r"^\[\s*\]:$"), timeout=10_000)
            break
        except AssertionError:
            if attempt == attempts - 1:
                raise
    expect(prompt).to_have_text(re.compile(r"^\[\d+\]:$"))


def test_release_notebook_runs_in_jupyterlab(page, lab):  # page first: skips before the server starts
    from playwright.sync_api import expect
    expect.set_options(timeout=TIMEOUT_MS)  # the kernel's first imports can take a while
    url, token, log_path = lab
    try:
        page.goto(f"{url}/lab/tree/{NAME}.ipynb?token={token}", wait_until="domcontentloaded")
        setup = _code_cell(page, "course setup (do not edit)")
        expect(setup).to_be_visible()
        # The kernel (started with the course environment) is connected and idle.
        expect(page.locator("#jp-main-statusbar").get_by_text(
            re.compile(r"Python 3 \(ipykernel\) \| Idle"))).to_be_visible()

        _run(setup)
        setup_out = setup.locator(".jp-OutputArea-output").filter(has_text="course setup:")
        expect(setup_out).to_contain_text("nothing to install | public files: present")
        expect(setup_out).to_be_visible()

        exercise = _code_cell(page, "def lorenz_rhs(")
        _run(exercise)  # defines the untouched stub (raises NotImplementedError when called)

        check = _code_cell(page, 'grader.check("lorenz_rhs")')
        _run(check)
        check_out = check.locator(".jp-OutputArea-output").filter(has_text="Test case failed")
        expect(check_out).to_contain_text("lorenz_rhs (public checks only")
        expect(check_out).to_contain_text("NotImplementedError")
        # One screen showing both results: the setup cell at the top, the check's output below.
        setup.evaluate("e => e.scrollIntoView({block: 'start'})")
        expect(setup_out).to_be_in_viewport()
        expect(check_out).to_be_in_viewport()
        # Nothing raised on the way (Otter reports the failure; it does not raise).
        for cell in (setup, exercise, check):
            expect(cell.locator(".jp-OutputArea-output").filter(has_text="Traceback")).to_have_count(0)
    finally:
        os.makedirs(os.path.dirname(ARTIFACT), exist_ok=True)
        try:
            page.screenshot(path=ARTIFACT)
        except Exception:
            pass
        print(log_path.read_text()[-3000:])  # shown by pytest only when the test fails
