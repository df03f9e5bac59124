"""/docs in a real headless Chromium: the vendored Swagger UI renders the operation list with
every request staying on the node and no Content-Security-Policy violation."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Page, Request

from tests.web.test_browser import page, server  # noqa: F401  (fixtures)


def test_docs_render_from_the_node_alone(server: str, page: Page) -> None:  # noqa: F811
    requested: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requested.append(_url(request)))
    page.on("console", lambda message: console.append(_line(message)))
    page.goto(f"{server}/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/reports" in path for path in paths)
    # open an operation and the token dialog: they draw more of the page (icons, styles)
    page.locator(".opblock-summary").first.click()
    page.wait_for_selector(".opblock-body")
    page.locator("button.authorize").first.click()
    page.wait_for_selector(".modal-ux")
    hosts = {urlsplit(url).hostname for url in requested}
    assert hosts == {"127.0.0.1"}, requested
    assert any(url.endswith("/openapi.json") for url in requested)
    violations = [
        line for line in console if "Content Security Policy" in line or "violates" in line
    ]
    assert not violations, violations
    errors = [line for line in console if line.startswith("error")]
    assert not errors, errors


def _url(request: Request) -> str:
    return request.url


def _line(message: ConsoleMessage) -> str:
    return f"{message.type}: {message.text}"
