"""Run the real app for browser tests and benchmarks: `streamlit run app.py` on a free port, and Chromium.

Used by tests/browser (pytest fixtures) and by bench/ scripts that measure a real page.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("RELU_VIZ_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling out, and this network refuses it.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def free_port() -> int:
    """A TCP port on localhost that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(port: int | None = None, timeout: float = 90.0) -> Iterator[str]:
    """Start ``streamlit run app.py`` headless; yield its base URL once /_stcore/health answers ``ok``."""
    with running_server(port, timeout) as (url, _):
        yield url


@contextlib.contextmanager
def running_server(port: int | None = None, timeout: float = 90.0) -> Iterator[tuple[str, subprocess.Popen]]:
    """Like :func:`running_app`, yielding the base URL and the server's process."""
    port = port or free_port()
    log = open(ROOT / "test-artifacts" / f"server-{port}.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"streamlit not healthy after {timeout} s; see {log.name}")
            time.sleep(0.3)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wait_for_app(page, timeout: float = 60.0) -> None:
    """Wait until the Streamlit app is mounted and its script has finished running."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    # The running indicator can appear a moment after load: require it absent twice in a row.
    quiet = 0
    while time.monotonic() < deadline:
        running = page.locator("[data-test-script-state='running']").count()
        quiet = quiet + 1 if running == 0 else 0
        if quiet >= 3:
            return
        time.sleep(0.25)
    raise TimeoutError("the app script kept running")


(ROOT / "test-artifacts").mkdir(exist_ok=True)
