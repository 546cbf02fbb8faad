"""Browser tests: the real page in headless Chromium against a live server on the fixture index."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]
QUERIES = {"en": "multi-pillar pensions", "zh": "养老保险基金监管", "fa": "نظارت بر صندوق"}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs /usr/bin/chromium (apt-get install chromium fonts-noto-cjk fonts-noto-core)",
    ),
]

sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package ([dev])")

# Runs before any page script: a payload that executes would set window.__xss.
TRAP_DIALOGS = """
window.__dialogs = [];
for (const name of ["alert", "confirm", "prompt"]) {
  window[name] = (msg) => { window.__xss = true; window.__dialogs.push(String(msg)); };
}
"""


@pytest.fixture(scope="module")
def browser_context() -> Iterator[object]:
    """One browser and context for the module (fast); each test gets its own page."""
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = b.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        context.add_init_script(TRAP_DIALOGS)
        yield context
        context.close()
        b.close()


@pytest.fixture()
def problems() -> list[str]:
    """Console errors, uncaught exceptions and dialogs seen by this test's page."""
    return []


@pytest.fixture()
def page(browser_context, problems: list[str]) -> Iterator[object]:
    """A fresh page; its teardown fails the test if the page logged an error."""
    pg = browser_context.new_page()
    pg.set_default_timeout(20_000)
    pg.on("console", lambda m: m.type == "error" and problems.append(f"console.error: {m.text}"))
    pg.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    pg.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    yield pg
    pg.close()
    assert problems == [], "the page logged errors"


def wait_for_results(page, query: str) -> None:
    """Wait until the results area shows a finished search for `query`."""
    page.wait_for_function(
        """q => { const r = document.getElementById("results");
                  return r.dataset.query === q
                         && ["results", "no-results", "error"].includes(r.dataset.state); }""",
        arg=query,
    )
    shown = page.get_attribute("#results", "data-state")
    why = f"{page.text_content('#status')} {page.text_content('#error')}"
    assert shown == "results", f"{shown}: {why}"


def type_query(page, query: str) -> None:
    page.fill("#q", query)
    wait_for_results(page, query)


def shown_passages(page) -> list[str]:
    return page.eval_on_selector_all(".hit", "els => els.map(e => e.dataset.passage)")


def get_json(base: str, path: str) -> object:
    with urllib.request.urlopen(base + path, timeout=30) as response:
        return json.loads(response.read().decode("utf-8"))


@pytest.mark.parametrize("lang", ["en", "zh", "fa"])
def test_search_highlights_clause_in_each_language(page, live_server: str, lang: str) -> None:
    page.goto(live_server + "/")
    type_query(page, QUERIES[lang])
    marked = page.locator(f'.hit[data-language="{lang}"] .passage .clause mark')
    assert marked.count() >= 1, f"no {lang} card with a highlight inside its clause"
    assert page.locator(f'.hit[data-language="{lang}"] .passage[lang="{lang}"]').count() >= 1
    assert page.input_value("#q") == QUERIES[lang]
    assert "q=" in page.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{lang}.png"), full_page=True)


def test_persian_text_is_right_to_left(page, live_server: str) -> None:
    page.goto(live_server + "/")
    type_query(page, QUERIES["fa"])
    passage = page.locator('.hit[data-language="fa"] .passage').first
    assert passage.evaluate("el => getComputedStyle(el).direction") == "rtl"
    title = page.locator('.hit[data-language="fa"] .card-title').first
    assert title.evaluate("el => getComputedStyle(el).unicodeBidi") == "isolate"
    # The chrome around it stays left-to-right.
    actions = page.locator('.hit[data-language="fa"] .card-actions').first
    assert actions.evaluate("el => getComputedStyle(el).direction") == "ltr"


def test_open_in_context_highlights_and_scrolls(page, live_server: str) -> None:
    page.goto(live_server + "/")
    type_query(page, QUERIES["en"])
    card = page.locator(".hit").first
    passage_id = card.get_attribute("data-passage")
    card.locator(".open-context").click()
    target = page.locator("#ctx-target")
    target.wait_for()
    assert target.get_attribute("data-passage") == passage_id
    assert f"passage={passage_id}" in page.url and "doc=" in page.url
    assert target.locator("mark").count() >= 1
    assert page.evaluate(
        """() => { const t = document.getElementById("ctx-target").getBoundingClientRect();
                   const box = document.getElementById("ctx-body").getBoundingClientRect();
                   return t.height > 0 && t.top >= box.top - 1 && t.top < box.bottom; }"""
    ), "the passage is not scrolled into view"
    # Reloading the shared URL opens the same view; Escape closes it and drops the view params.
    page.reload()
    page.locator("#ctx-target").wait_for()
    assert page.get_attribute("#ctx-target", "data-passage") == passage_id
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.getElementById('context').open")
    assert "passage=" not in page.url


def test_url_restores_search_after_reload(page, live_server: str) -> None:
    query = QUERIES["zh"]
    page.goto(live_server + "/")
    type_query(page, query)
    before = shown_passages(page)
    page.goto(f"{live_server}/?q={quote(query)}")
    wait_for_results(page, query)
    assert page.input_value("#q") == query
    assert shown_passages(page) == before


def test_back_and_forward_restore_searches(page, live_server: str) -> None:
    page.goto(live_server + "/")
    first, second = QUERIES["en"], QUERIES["fa"]
    type_query(page, first)
    page.press("#q", "Enter")  # commit: the next search gets its own history entry
    first_hits = shown_passages(page)
    type_query(page, second)
    page.press("#q", "Enter")
    second_hits = shown_passages(page)
    page.go_back()
    wait_for_results(page, first)
    assert page.input_value("#q") == first
    assert shown_passages(page) == first_hits
    page.go_forward()
    wait_for_results(page, second)
    assert page.input_value("#q") == second
    assert shown_passages(page) == second_hits


def _xss_document(base: str) -> tuple[str, str]:
    """The fixture document whose text holds markup, and a word near that markup."""
    body = get_json(base, "/api/documents")
    docs = body if isinstance(body, list) else body.get("documents") or body.get("items") or []
    for doc in docs:
        doc_id = str(doc.get("id", doc.get("doc_id")))
        text = get_json(base, "/api/documents/" + quote(doc_id, safe=""))["text"]
        at = text.find("<script>")
        if at >= 0:
            near = re.sub(r"<[^>]*>", " ", text[max(0, at - 150):at + 200])
            words = [w for w in re.findall(r"[A-Za-z]{5,}", near)
                     if w.lower() not in {"script", "alert", "onerror"}]
            assert words, "no searchable word near the markup in the XSS fixture"
            return doc_id, max(words, key=len)
    pytest.fail("the fixture corpus has no document containing <script>")


def test_markup_in_documents_shows_literally(page, live_server: str) -> None:
    doc_id, word = _xss_document(live_server)
    page.goto(f"{live_server}/?q={quote(word)}&document={quote(doc_id)}")
    wait_for_results(page, word)
    for toggle in page.locator(".hit .expand").all():
        toggle.click()  # show whole passages so the markup is on screen
    cards = " ".join(page.locator(".hit").all_text_contents())
    assert "<script>" in cards
    page.locator(".hit .open-context").first.click()
    page.locator("#ctx-target").wait_for()
    assert "<script>" in page.text_content("#ctx-body")
    assert "onerror" in page.text_content("#ctx-body")
    assert page.locator("img[onerror], #hits img, #context img").count() == 0
    assert page.evaluate("document.querySelectorAll('#hits script, #context script').length") == 0
    page.wait_for_timeout(200)  # let a payload (if any) run
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("window.__dialogs.length") == 0


def test_language_chip_filters_by_keyboard(page, live_server: str) -> None:
    page.goto(live_server + "/")
    type_query(page, QUERIES["en"])
    chip = page.locator('#lang-chips .chip[data-lang="en"]')
    chip.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.search.includes('lang=en')")
    wait_for_results(page, QUERIES["en"])
    assert chip.get_attribute("aria-pressed") == "true"
    languages = page.eval_on_selector_all(".hit", "els => els.map(e => e.dataset.language)")
    assert set(languages) == {"en"}
    assert page.evaluate("document.activeElement.dataset.lang") == "en"  # focus survived


def test_highlights_use_code_point_offsets_and_drop_bidi_controls(page, live_server: str) -> None:
    page.goto(live_server + "/")
    got = page.evaluate(
        r"""async () => {
             const t = await import("/static/text.js");
             const p = document.createElement("p");
             // code points: a=0 😀=1 b=2 space=3 "<i>x</i>"=4..11 space=12 U+202E=13
             t.appendHighlighted(p, "a\u{1F600}b <i>x</i> \u202Eevil",
                                 {clause: [2, 12], highlights: [[2, 3], [4, 12]]});
             const q = t.appendHighlighted(document.createElement("p"), "社会保险基金",
                                           {highlights: [[2, 4], [0, 2]]});
             return {text: p.textContent, clause: p.querySelector(".clause").textContent,
                     marks: [...p.querySelectorAll("mark")].map(m => m.textContent),
                     elements: p.querySelectorAll("i").length,
                     merged: [...q.querySelectorAll("mark")].map(m => m.textContent)};
           }"""
    )
    assert got == {"text": "a\U0001F600b <i>x</i> evil", "clause": "b <i>x</i>",
                   "marks": ["b", "<i>x</i>"], "elements": 0, "merged": ["社会保险"]}


def test_search_key_travels_in_a_header_not_the_url(page, live_server: str) -> None:
    page.goto(live_server + "/")
    page.evaluate("localStorage.setItem('policykb.searchKey', 'k-123')")
    try:
        with page.expect_request(lambda r: "/api/search" in r.url) as seen:
            page.fill("#q", QUERIES["en"])
        request = seen.value
        assert request.headers.get("x-api-key") == "k-123"
        assert "k-123" not in request.url and "k-123" not in page.url
    finally:
        page.evaluate("localStorage.removeItem('policykb.searchKey')")


def test_slash_focuses_search_box(page, live_server: str) -> None:
    page.goto(live_server + "/")
    page.locator("#clear-filters").focus()
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("a/b")  # inside the box "/" is just a character
    assert page.input_value("#q") == "a/b"


def test_no_console_errors(page, live_server: str, problems: list[str]) -> None:
    page.goto(live_server + "/")
    page.wait_for_selector("#lang-chips .chip")  # documents and health answered
    type_query(page, QUERIES["en"])
    page.locator(".hit .scores summary").first.click()
    page.locator(".hit .open-context").first.click()
    page.locator("#ctx-target").wait_for()
    page.click("#ctx-close")
    assert problems == []


def wait_for_state(page, query: str) -> str:
    """Wait for a finished search for `query`; its state (results / no-results / error)."""
    page.wait_for_function(
        """q => { const r = document.getElementById("results");
                  return r.dataset.query === q
                         && ["results", "no-results", "error"].includes(r.dataset.state); }""",
        arg=query,
    )
    return page.get_attribute("#results", "data-state")


def test_first_page_shows_every_language_the_results_hold(page, live_server: str) -> None:
    query = "pension fund supervision"
    page.goto(live_server + "/")
    type_query(page, query)
    chips = page.eval_on_selector_all("#lang-chips .chip", "els => els.map(e => e.dataset.lang)")
    languages = page.eval_on_selector_all(".hit", "els => els.map(e => e.dataset.language)")
    assert len(set(chips)) >= 2 and set(languages) == set(chips)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "languages-on-first-page.png"), full_page=True)


def test_chip_count_is_what_clicking_it_shows(page, live_server: str) -> None:
    query = "pension fund supervision"
    page.goto(live_server + "/")
    type_query(page, query)
    counts = dict(page.eval_on_selector_all(
        "#lang-chips .chip",
        "els => els.map(e => [e.dataset.lang, Number(e.querySelector('.chip-count').textContent)])"))
    for lang, count in counts.items():
        page.goto(live_server + f"/?q={quote(query)}&lang={lang}")
        wait_for_results(page, query)
        total = get_json(live_server, f"/api/search?q={quote(query)}&lang={lang}")["total"]
        assert total == count, lang
        assert re.match(rf"{count} results?\b", page.text_content("#status") or ""), lang


def test_more_from_document_opens_the_rest_of_it(page, live_server: str) -> None:
    found = None
    for query in ("社会保险", "住房公积金", "social security", "养老保险基金"):
        body = get_json(live_server, f"/api/search?q={quote(query)}&k=10")
        per_doc = {}
        for hit in body["hits"]:
            per_doc[hit["doc_id"]] = per_doc.get(hit["doc_id"], 0) + 1
        assert max(per_doc.values(), default=0) <= 3
        more = [h for h in body["hits"] if h["more_from_document"]]
        if more:
            found = (query, more[0])
            break
    assert found, "no query of the fixture corpus collapses a document"
    query, hit = found
    page.goto(live_server + "/")
    type_query(page, query)
    button = page.locator(f'.hit[data-passage="{hit["passage_id"]}"] .more-from-doc')
    assert button.text_content() == f"{hit['more_from_document']} more from this document"
    button.click()
    page.wait_for_function("() => location.search.includes('document=')")
    wait_for_results(page, query)
    docs = set(page.eval_on_selector_all(".hit", "els => els.map(e => e.dataset.passage)"))
    assert len(docs) > 3
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "more-from-document.png"), full_page=True)


def test_nonsense_says_no_results_and_suggests(page, live_server: str) -> None:
    page.goto(live_server + "/")
    page.fill("#q", "zzzzqqqxxx")
    assert wait_for_state(page, "zzzzqqqxxx") == "no-results"
    status = page.text_content("#status") or ""
    assert "No results" in status and "other words or another language" in status
    assert page.locator(".hit").count() == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "no-results.png"), full_page=True)
