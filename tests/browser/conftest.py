"""Fixtures for real-browser tests: one streamlit server per session, one Chromium, a fresh page per test.

Locally, without /usr/bin/chromium, these tests skip with a message. With CI=true they never skip:
a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, ROOT, running_app

ARTIFACTS = ROOT / "test-artifacts"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {CHROMIUM} is missing: .ci/run installs it with apt")
        pytest.skip(f"{CHROMIUM} not found (apt-get install chromium); browser tests skipped")
    return CHROMIUM


@pytest.fixture(scope="session")
def app_url(chromium_path) -> Iterator[str]:
    with running_app() as url:
        yield url


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.js_errors = errors
    # console.error lines too (failed loads, caught-and-logged errors), as (text, source url)
    console: list[tuple[str, str]] = []
    pg.on(
        "console",
        lambda m: console.append((m.text, m.location.get("url", ""))) if m.type == "error" else None,
    )
    pg.console_errors = console
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    # a failed screenshot must not mask the test's own result
    with contextlib.suppress(Exception):
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
