"""What the test modules share.

``chromium``: a headless Chromium (Debian's, driven by playwright) for the browser tests of a
module, launched once and closed after the module's last test.  Missing Chromium or playwright
skips a test (and fails it under ``CI=true``, where both are installed).  A module that uses it
must start no other ``sync_playwright`` while it is open (playwright's sync API does not nest).

SIGTERM stops a run the way Ctrl-C does, so that what the tests set up is taken down (below).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--headless", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str):
    """Skip for ``reason``; under ``CI=true``, fail (CI installs everything a test needs)."""
    if CI:
        pytest.fail(f"{reason} (CI=true: not skipping)")
    print(f"SKIP: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium():
    """A launched headless Chromium (a playwright ``Browser``)."""
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the playwright Python package is not installed (pip install playwright)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# -- a JupyterLab server of a test's own ---------------------------------------------------------

#: how long a JupyterLab may take to answer: a busy CI machine starting one beside a book build
#: took over a minute
LAB_START_S = 240


@contextlib.contextmanager
def jupyterlab_server(work: Path, token: str, *args: str):
    """A JupyterLab on ``work``'s folders (its settings, data, runtime and HOME there; no course
    pool or secret from the caller's environment), answering on a free local port, with ``args``
    added to its command line: yields its base URL; stopped however the test ends."""
    try:
        import jupyterlab  # noqa: F401
        import playwright  # noqa: F401
    except ImportError as e:
        skip_or_fail(f"{e.name} is not installed (make venv installs requirements.txt)")
    if not os.path.exists(CHROMIUM):
        skip_or_fail(f"{CHROMIUM} is missing (Debian package chromium)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(work / "cfg"), JUPYTER_DATA_DIR=str(work / "data"),
               JUPYTER_RUNTIME_DIR=str(work / "rt"), HOME=str(work))
    for name in ("OP1_EXERCISE_POOL", "OP1_COURSE_SECRET"):
        env.pop(name, None)
    jupyter = shutil.which("jupyter-lab", path=str(Path(sys.executable).parent)) or "jupyter-lab"
    log = open(work / "jupyterlab.log", "wb")
    proc = subprocess.Popen(
        [jupyter, "--no-browser", "--allow-root", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={token}", "--ServerApp.disable_check_xsrf=True",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", *args],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + LAB_START_S
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5)
                break
            except OSError:
                tail = lambda: (work / "jupyterlab.log").read_bytes().decode(errors="replace")[-2000:]
                if proc.poll() is not None:
                    raise RuntimeError(f"JupyterLab ended with status {proc.returncode}:\n{tail()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not answer in {LAB_START_S} s:\n{tail()}")
                time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


# -- SIGTERM ends a run as Ctrl-C does ---------------------------------------------------------

_PYTEST_PID = os.getpid()


def _sigterm(signum, frame):
    """The first SIGTERM (a CI timeout, ``kill``) becomes a KeyboardInterrupt: pytest stops, runs
    every teardown and ``finally`` (the kernel labs remove their network namespaces; the labs run in
    threads by ``run_many`` are closed by it, and their threads waited for), and exits 2.  The
    default action would end the process at once and leave the namespaces behind.  A second
    SIGTERM, or one in a process forked from this one (a worker pool), does the default."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if os.getpid() != _PYTEST_PID:
        os.kill(os.getpid(), signal.SIGTERM)
        return
    raise KeyboardInterrupt("SIGTERM")


def pytest_configure(config):
    if threading.current_thread() is threading.main_thread() \
            and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _sigterm)
