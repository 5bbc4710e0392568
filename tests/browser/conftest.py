# SPDX-License-Identifier: BSD-3-Clause
"""Fixtures of the browser tests (helpers in browser_helpers.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from browser_helpers import (
    CHROME_FLAGS,
    CHROMEDRIVER,
    CHROMIUM,
    WS_RECORDER,
    Page,
    Stack,
    chrome_available,
    wait_until,
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # integration 0.1 s (the default), as fast as a lab would run it
    s = Stack(tmp_path_factory.mktemp("stack"))
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    why = chrome_available()
    if why:
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        opts.add_argument(flag)
    profile = tmp_path_factory.mktemp("chromium-profile")
    opts.add_argument(f"--user-data-dir={profile}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WS_RECORDER})
    drv.set_page_load_timeout(60)
    drv.set_script_timeout(20)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def page(stack: Stack, driver: Any) -> Page:
    """The dashboard loaded and showing a first g2(0)."""
    p = Page(driver, stack.url)
    driver.get(stack.url)
    wait_until("a g2(0) value on the page",
               lambda: 'data-key="g2_0">—' not in p.shown_html("summary")
               and p.js("return window.g2live_updates"),
               90, 0.25)
    return p
