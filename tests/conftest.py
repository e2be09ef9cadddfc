"""What the test modules share.

``chromium``: a headless Chromium (Debian's, driven by playwright) for the browser tests of a
module, launched once and closed after the module's last test.  Missing Chromium or playwright
skips a test (and fails it under ``CI=true``, where both are installed).  A module that uses it
must start no other ``sync_playwright`` while it is open (playwright's sync API does not nest).

SIGTERM stops a run the way Ctrl-C does, so that what the tests set up is taken down (below).
"""
from __future__ import annotations

import os
import signal
import threading
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
