"""Matching keys for query words and dictionary terms, one folding per language.

Both sides of a lookup go through the same functions, so a term bank phrase and a query
match whenever their keys agree: English is casefolded with plurals and -ed/-ing folded,
Persian is stemmed (stem_fa), Chinese is kept as the normalised string.
"""

from __future__ import annotations

import re

from index.query.lexical import STOPWORDS
from index.query.stem_fa import stem_fa
from ingest.text.normalize import normalize

WORD = re.compile(r"[^\W_]+")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
PERSIAN = re.compile(r"[\u0600-\u06ff]")
# Function words that never start a translation on their own (a phrase may contain them).
EXTRA_STOPWORDS = frozenset(
    "i my me you your he she his her they them am was were been being have has had if can "
    "may would could there any some after before about into than then so such only also "
    "get got one two my من تو او ما شما آنها اگر هر چه چی کند کنم کرد شد دارد".split()
)


def fold_en(word: str) -> str:
    """Casefolded English word with plural, possessive and -ed/-ing endings folded.

    Deliberately crude (a Porter stemmer splits injury/injured differently anyway): what
    matters is that the bank and the query fold alike.
    """
    w = word.casefold()
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith(("sses", "shes", "ches", "xes")):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    elif len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 4 and w.endswith("ed"):
        w = w[:-2]
    return w[:-1] if len(w) > 3 and w.endswith("e") else w


def keys(text: str, lang: str) -> list[str]:
    """Matching keys of the words of `text` (en, fa); for zh the normalised string itself."""
    norm = normalize(text.replace("'s ", " ").replace("’s ", " "))
    if lang == "zh":
        return [norm]
    fold = fold_en if lang == "en" else stem_fa
    return [fold(w) for w in WORD.findall(norm)]


def is_stopword(word: str) -> bool:
    """Whether a (normalised) word is a function word."""
    return word in STOPWORDS or word in EXTRA_STOPWORDS


def guess_language(text: str) -> str:
    """zh if the text has Han characters, fa if Arabic script, else en (by counts)."""
    han, fa = len(HAN.findall(text)), len(PERSIAN.findall(text))
    if not han and not fa:
        return "en"
    return "zh" if han >= fa else "fa"
