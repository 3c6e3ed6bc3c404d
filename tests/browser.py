"""Headless Chromium (Debian's build) driven by Playwright; no browser download."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The suite runs a test process per CPU beside Chromium and the servers it drives: on CI's 2 vCPUs a form's answer
# has taken longer than Playwright's default 5 s to appear. A waiting assertion still fails when it never holds.
expect.set_options(timeout=15_000)
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def require_chromium() -> None:
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("SAMATTHA_REQUIRE_BROWSER"):
        pytest.fail(f"Chromium is required for browser tests but {CHROMIUM} is missing")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)")


@contextmanager
def chromium() -> Iterator[Browser]:
    require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def page_problems(page: Page, name: str) -> list[str]:
    """What is wrong with the page as shown: sideways scrolling and axe-core's serious and critical violations.
    Saves a screenshot named ``name`` under SAMATTHA_SHOTS_DIR when that is set."""
    page.evaluate("document.fonts.ready.then(() => true)")
    problems = []
    width = page.viewport_size["width"] if page.viewport_size else 0
    used = page.evaluate("document.documentElement.scrollWidth")
    if used > width:
        problems.append(f"the page is {used} px wide in a {width} px window")
    results = Axe().run(page, options={"resultTypes": ["violations"]})
    problems += [f"axe {v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
                 for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    folder = os.environ.get("SAMATTHA_SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
    return problems
