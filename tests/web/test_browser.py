"""The check page in a real headless Chromium: type a text, submit, read the warning signs.

Needs Debian's ``chromium`` at /usr/bin/chromium (Playwright drives it; no browser download).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, sync_playwright

from tests.conftest import Node

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
    if os.environ.get("TIPNET_REQUIRE_BROWSER"):
        raise RuntimeError("TIPNET_REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
    pytest.skip("Debian's chromium is missing: apt-get install chromium", allow_module_level=True)


@pytest.fixture
def server(node: Node) -> Iterator[str]:
    """The node's app served on a free loopback port for the duration of the test."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(node.app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert running.started, "the test server did not start"
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(server: str) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def test_paste_a_job_offer_and_see_the_warning_signs(server: str, page: Page) -> None:
    page.goto(f"{server}/check/en")
    page.fill(
        "#text",
        "Hostess jobs abroad, high salary, no experience needed. "
        "Pay the registration fee first. We keep your passport.",
    )
    page.select_option("#kind", "job_offer")
    page.click("button[type=submit]")
    page.wait_for_selector("#result")
    signs = page.locator(".sign strong").all_inner_texts()
    assert "The employer wants to keep your passport or documents" in signs
    assert "Asks you to pay a fee to get the job" in signs
    marked = page.locator("mark").all_inner_texts()
    assert "registration fee" in marked
    assert page.locator("#help").is_visible()


def test_the_spanish_page_answers_in_spanish(server: str, page: Page) -> None:
    page.goto(f"{server}/check/es")
    page.fill("#text", "Trabajo fácil en Europa. Mándame una foto y agrégame en WhatsApp.")
    page.click("button[type=submit]")
    page.wait_for_selector("#result")
    text = page.locator("#result").inner_text()
    assert "Pide fotos tuyas" in text
    assert "Presiona para pasar la conversación a otra aplicación" in text
    page.click("text=English")
    assert page.url.endswith("/check/en")


def test_an_empty_submission_is_stopped_in_the_browser(server: str, page: Page) -> None:
    page.goto(f"{server}/check/fr")
    page.click("button[type=submit]")
    # the textarea is required: the browser does not send the form, the page stays as it was
    assert page.locator("#result").count() == 0
    assert page.evaluate("document.querySelector('#text').validity.valueMissing")
