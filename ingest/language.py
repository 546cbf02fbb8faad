"""Tell Chinese, English and Persian apart by counting the letters of each script."""

from __future__ import annotations

import re

# Runs of letters per script (runs, not single letters: far fewer matches to count). Han
# includes the extension planes (rare characters in names).
_SCRIPTS = {
    "han": re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+"),
    "arabic": re.compile(
        "[\u0620-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]+"
    ),
    "latin": re.compile(
        "[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\uff21-\uff3a\uff41-\uff5a]+"
    ),
}
_LANGUAGE = {"han": "zh", "arabic": "fa", "latin": "en"}
# Letters per word-equivalent, so scripts compare by amount of content: an English word
# averages ~5 letters, a Persian one ~4; a Han character is a morpheme, counted as one
# (at 1.7 per word, "第一条 为了规范social insurance关系" came out "mixed"). Counting raw
# letters instead would make a Chinese law quoting English terms look 5x more English.
_LETTERS_PER_WORD = {"han": 1.0, "arabic": 4.0, "latin": 5.0}
# A second language holding at least this share of the content makes the text "mixed".
MIXED_SHARE = 0.30
_SAMPLE = 60_000  # characters: counts on a spread sample are as good as on a whole book


def detect_language(text: str) -> str:
    """Return "zh", "en", "fa", "mixed" (a second language has >= MIXED_SHARE of the
    content) or "und" (no Han, Arabic-script or Latin letters at all).

    Arabic-script text is reported as "fa": the corpus holds Persian, not Arabic.
    """
    weights = {
        script: count / _LETTERS_PER_WORD[script]
        for script, count in script_counts(_sample(text)).items()
    }
    total = sum(weights.values())
    if total == 0:
        return "und"
    ranked = sorted(weights, key=weights.__getitem__, reverse=True)
    if weights[ranked[1]] >= MIXED_SHARE * total:
        return "mixed"
    return _LANGUAGE[ranked[0]]


def script_counts(text: str) -> dict[str, int]:
    """Number of letters of each script ("han", "arabic", "latin") in `text`."""
    return {script: sum(map(len, pattern.findall(text))) for script, pattern in _SCRIPTS.items()}


def script_of(text: str) -> set[str]:
    """Scripts present in `text`, e.g. {"han", "latin"}: do a query and a passage share one?"""
    return {script for script, pattern in _SCRIPTS.items() if pattern.search(text)}


def _sample(text: str) -> str:
    if len(text) <= _SAMPLE:
        return text
    third = _SAMPLE // 3
    middle = len(text) // 2 - third // 2
    return text[:third] + text[middle : middle + third] + text[-third:]
