"""/docs in headless Chromium with every request outside the server refused: Swagger UI
must render from same-origin files under the page's CSP (issue 17)."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package ([dev])")


def test_docs_render_offline_under_the_csp(live_server):
    outside: list[str] = []
    console: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page()

        def only_ours(route) -> None:
            if route.request.url.startswith(live_server):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_ours)
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.goto(f"{live_server}/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=20_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        browser.close()
    assert any("/api/search" in p for p in paths), paths
    assert not outside, outside
    assert not [m for m in console if "Content Security Policy" in m], console
