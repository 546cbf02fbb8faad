"""The one matching normaliser: how any text reads for lexical matching and for the model.

Indexing, queries, highlights, clause choice, duplicate and parallel detection all fold
text through `normalize` (or `normalize_with_map`, which also maps every normalised
character back to its origin for highlight offsets); `normalize_for_model` is the light,
meaning-preserving form the embedding model reads.
"""

from __future__ import annotations

import re
import unicodedata

# Embedding/override/isolate controls (U+202A-202E, U+2066-2069), C0/C1 controls and the
# BOM: dropped before the model reads a query (ingest/clean.py drops them from documents).
INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")

_PERSIAN = {
    "ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "ە": "ه", "ۃ": "ه", "ھ": "ه", "ٱ": "ا",
    "\u0640": "",  # tatweel: stretches a word, carries no letter
}
_DIGITS = {chr(base + d): str(d) for base in (0x0660, 0x06F0) for d in range(10)}
_PUNCT = {
    "،": ",", "؛": ";", "؟": "?", "٪": "%", "٫": ".", "٬": ",", "。": ".", "、": ",",
    **dict.fromkeys("「」『』“”„‟«»〝〞", '"'), **dict.fromkeys("‘’‚‛", "'"),
    **dict.fromkeys("【〔〖", "["), **dict.fromkeys("】〕〗", "]"), **dict.fromkeys("‐‑‒–—―", "-"),
}
_EXTRA = {**_PERSIAN, **_DIGITS, **_PUNCT}


def _fold_char(char: str) -> str:
    """How one character reads for matching. NFKD + casefold, then combining marks dropped:
    that folds full-width forms, Arabic presentation forms and harakat, and makes
    precomposed and decomposed accents equal character by character (which a whole-string
    NFKC would not). Hamza and madda are marks too, so أ إ آ fold to ا (Persian users type
    both). Format characters (ZWNJ, ZWJ, bidi marks, soft hyphen) are deleted."""
    if char in _EXTRA:
        return _EXTRA[char]
    category = unicodedata.category(char)
    if char.isspace():
        return " "
    if category in ("Cc", "Cf", "Cs"):
        return ""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", char).casefold())
    kept = (
        " " if c.isspace() else _EXTRA.get(c, c)
        for c in folded
        if unicodedata.category(c) not in ("Mn", "Me", "Cf")
    )
    return unicodedata.normalize("NFC", "".join(kept))  # recompose Hangul jamo


class _FoldTable(dict):
    """str.translate table filled lazily: each code point is folded once per process."""

    def __missing__(self, code: int) -> str:
        value = self[code] = _fold_char(chr(code))
        return value


_TABLE = _FoldTable()
# Characters that fold to themselves (checked by a test). Skipping runs of them instead of
# looking each one up makes normalize() 1.5-3x faster on Chinese, English and Persian.
IDENTITY_RANGES = (
    ("a", "z"), ("0", "9"), (" ", "/"), (":", "@"), ("[", "`"), ("{", "~"),
    ("\u0621", "\u0621"), ("\u0627", "\u0628"), ("\u062a", "\u063a"),
    ("\u0641", "\u0642"), ("\u0644", "\u0648"), ("\u067e", "\u067e"), ("\u0686", "\u0686"),
    ("\u0698", "\u0698"), ("\u06a9", "\u06a9"), ("\u06af", "\u06af"), ("\u06cc", "\u06cc"),
    ("\u3400", "\u4dbf"), ("\u4e00", "\u9fff"),
)
_TO_FOLD = re.compile(
    "[^" + "".join(re.escape(lo) + "-" + re.escape(hi) for lo, hi in IDENTITY_RANGES) + "]+"
)
_AR = "\u0620-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff"  # Arabic-script letters after folding
# Context rules only ever delete characters, so normalize_with_map can apply the very same
# regexes and drop the same positions from its offset map. Each starts with a literal
# space so the regex engine can skip ahead to spaces.
_DELETIONS = (
    re.compile(r"^ +| (?= |$)"),  # trim and collapse spaces
    # Persian verbal prefix written with a space: "می شود" == "می‌شود" == "میشود".
    re.compile(rf" (?:(?<=(?<!\S)می )|(?<=(?<!\S)نمی ))(?=[{_AR}])"),
    # Plural/comparative suffix written with a space: "کتاب ها" == "کتاب‌ها" == "کتابها".
    re.compile(rf" (?<=[{_AR}] )(?=(?:هایی|های|ها|ترین|تر)(?![{_AR}]))"),
)


def normalize(text: str) -> str:
    """Fold text for lexical matching (FTS, queries, parallel detection).

    NFKD/casefold without marks, Persian letter and digit unification, ZWNJ-insensitive
    Persian words, CJK/Persian punctuation to ASCII, whitespace collapsed to single spaces.
    """
    folded = _TO_FOLD.sub(_fold_run, text)
    for pattern in _DELETIONS:
        folded = pattern.sub("", folded)
    return folded


def _fold_run(match: re.Match[str]) -> str:
    return match.group().translate(_TABLE)


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Return `(normalize(text), origin)` where `origin[k]` is the index in `text` of the
    character that produced normalised character k (non-decreasing), for highlighting."""
    pieces: list[str] = []
    origin: list[int] = []
    done = 0
    for run in _TO_FOLD.finditer(text):  # characters between runs map to themselves
        pieces.append(text[done : run.start()])
        origin.extend(range(done, run.start()))
        for index in range(run.start(), run.end()):
            folded = _TABLE[ord(text[index])]
            pieces.append(folded)
            origin.extend([index] * len(folded))
        done = run.end()
    pieces.append(text[done:])
    origin.extend(range(done, len(text)))
    result = "".join(pieces)
    for pattern in _DELETIONS:
        spans = [match.span() for match in pattern.finditer(result)]
        if spans:
            result, origin = _delete_spans(result, origin, spans)
    return result, origin


def _delete_spans(
    text: str, origin: list[int], spans: list[tuple[int, int]]
) -> tuple[str, list[int]]:
    text_parts, origin_parts, previous = [], [], 0
    for start, end in spans:
        text_parts.append(text[previous:start])
        origin_parts.extend(origin[previous:start])
        previous = end
    text_parts.append(text[previous:])
    origin_parts.extend(origin[previous:])
    return "".join(text_parts), origin_parts


_QUOTES = {**dict.fromkeys("「」『』“”„‟«»〝〞", '"'), **dict.fromkeys("‘’‚‛", "'")}
_MODEL_FOLD = str.maketrans({**_PERSIAN, **_DIGITS, **_QUOTES, "\u200c": " ", "\u200d": ""})
# Plural/comparative suffixes after a ZWNJ or a space join their word ("سیستم‌های").
_SUFFIX_GAP = re.compile(r"(?<=[\u0600-\u06ff])[\u200c ](?=(?:ها|های|هایی|تر|ترین)(?![\u0600-\u06ff]))")
# Persian verbal prefixes written joined ("میشود") read like the spaced/ZWNJ form
# ("می‌شود" = "می شود" for the model's tokenizer). Common nouns that merely start with
# these letters are left alone.
_JOINED_PREFIX = re.compile(
    r"(?<![\w\u0600-\u06ff])(ن?می)(?!(?:ز|ل|ان|دان|زان|لیون|لیارد|راث|وه|هن|ن|لاد|انه|زبان|خ|"
    r"ش|کروب|ترا|ثاق|گو|نو|همان|ره|رزا|ان‌)(?![\u0600-\u06ff]))(?=[\u0600-\u06ff]{2,})")
_SPACES = re.compile(r"\s+")


def normalize_for_model(text: str) -> str:
    """A light, meaning-preserving form of a query for the embedding model.

    The full `normalize` joins Persian affixes and casefolds: right for matching tokens,
    but it costs the model accuracy (measured on parsinlu-fa dev: dense nDCG@10 0.843 ->
    0.827). Here only what a reader cannot see is unified: NFKC (full-width letters and
    digits), Arabic yeh/kaf -> Persian, Persian/Arabic digits -> ASCII, ZWNJ -> space (the
    model's tokenizer reads it as a space anyway), bidi controls dropped.
    """
    text = _SUFFIX_GAP.sub("", unicodedata.normalize("NFKC", INVISIBLE.sub("", text)))
    text = _JOINED_PREFIX.sub(r"\1 ", text.translate(_MODEL_FOLD))
    return _SPACES.sub(" ", text).strip()
