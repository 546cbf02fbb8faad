"""From a ranked result set to what a person reads: filters that keep the facets' word,
at most a few passages per document, and every language's best answer on the first page.

- Filters select from the query's one result set (the relevance set computed without
  filters), so a facet's count is exactly what clicking it returns.
- Field collapsing: a document shows at most PER_DOCUMENT passages in the list; the rest
  stay in the result set (`total`, facets) and are one filter away (`doc=...`); the last
  passage shown of such a document says how many more there are.
- With no language filter, the first page carries the best answer of every language the
  result set holds, however the model's same-language preference ranked them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from index.query.request import SearchRequest
from index.query.results import Candidate

PER_DOCUMENT = 3
FILTER_FIELDS = {"lang": "language", "doc": "doc_id", "type": "doc_type", "issuer": "issuer",
                 "topic": "topics"}


def matches(c: Candidate, req: SearchRequest) -> bool:
    """Whether a candidate (with its pool row) passes the request's filters."""
    for name, values in req.filters().items():
        if not values:
            continue
        value = c.row.get(FILTER_FIELDS[name])
        held = set(value) if isinstance(value, list) else {value}
        if not held & set(values):
            return False
    date_from, date_to = req.dates()
    if date_from or date_to:
        date = c.row.get("published") or c.row.get("effective") or ""
        if not date or (date_from and date < date_from) or (date_to and date > date_to):
            return False
    return True


def apply_filters(pool: Sequence[Candidate], req: SearchRequest) -> list[Candidate]:
    return [c for c in pool if matches(c, req)] if req.filtered() else list(pool)


def collapse_documents(pool: Sequence[Candidate], per_document: int = PER_DOCUMENT
                       ) -> list[Candidate]:
    """The ranked list with at most `per_document` passages of each document; the last
    one shown of a document holding more gets `more_from_document` = how many more."""
    in_set = Counter(str(c.row.get("doc_id")) for c in pool)
    shown: Counter[str] = Counter()
    out = []
    for c in pool:
        doc = str(c.row.get("doc_id"))
        if shown[doc] >= per_document:
            continue
        shown[doc] += 1
        if shown[doc] == per_document or shown[doc] == in_set[doc]:
            c.more_from_document = in_set[doc] - shown[doc]
        out.append(c)
    return out


def diversify_first_page(ranked: list[Candidate], k: int) -> list[Candidate]:
    """Move each language's best candidate into the first `k` when it is not there yet,
    in place of the lowest-ranked ones of the languages already shown more than once;
    the order is otherwise kept."""
    page = ranked[:k]
    present = {c.row.get("language") for c in page}
    missing = []
    for c in ranked[k:]:
        lang = c.row.get("language")
        if lang not in present:
            present.add(lang)
            missing.append(c)
    if not missing:
        return ranked
    counts = Counter(c.row.get("language") for c in page)
    for newcomer in missing:
        drop = next((c for c in reversed(page) if counts[c.row.get("language")] > 1), None)
        if drop is None:
            break
        counts[drop.row.get("language")] -= 1
        page.remove(drop)
        page.append(newcomer)
    rank = {id(c): i for i, c in enumerate(ranked)}
    page.sort(key=lambda c: rank[id(c)])
    chosen = {id(c) for c in page}
    return page + [c for c in ranked if id(c) not in chosen]


def readable_list(pool: Sequence[Candidate], req: SearchRequest) -> list[Candidate]:
    """The list pages are cut from (`pool` already filtered): collapsed per document, and
    (without a language filter) with every language's best answer on the first page."""
    shown = collapse_documents(pool, len(pool) if req.doc else PER_DOCUMENT)
    # Every page is cut from the same list for a given page size, so paging never repeats
    # or skips a hit that the first page's diversity moved.
    return shown if req.lang else diversify_first_page(shown, req.k)
