"""Clean raw text for display, and fold any text the same way for matching (one normaliser)."""

from __future__ import annotations

import re
import unicodedata

from ingest.boilerplate import collapse_copies, drop_boilerplate, drop_repeated_lines

# ---- display cleaning -------------------------------------------------------------------

_NEWLINES = re.compile("[\r\x0b\x0c\x85\u2028\u2029]\n?")  # CRLF, CR, VT, FF, NEL, LS, PS
# Embedding/override/isolate controls (U+202A-202E, U+2066-2069) can reorder the UI around
# them if left unbalanced, so they go. LRM/RLM/ALM and ZWNJ/ZWJ stay: they only shape or
# orient the text they sit in (ZWNJ is part of correct Persian spelling: می‌شود).
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)  # "<!-- INFO END -->" in Markdown laws
_TRAILING_SPACE = re.compile("[ \t\xa0\u1680\u2000-\u200a\u202f\u205f\u3000]+$", re.MULTILINE)
_BLANK_RUNS = re.compile(r"\n{3,}")
# "social securityBEIJING - Xi ..." : a headline glued to an ALL-CAPS dateline.
_DATELINE_GLUE = re.compile(r"(?<=[a-z]{2})(?=[A-Z]{3,}(?: [A-Z]{2,})*\s*(?:[-–—,(]))")
# "sound and complete.New characteristics": a sentence glued to the next one or a title.
_SENTENCE_GLUE = re.compile(r"[a-z][.!?][\"”’)]?(?=[A-Z][a-z]+[\s,;:])")
_WORD_END = re.compile(r"[A-Za-z]*\Z")  # always matches, possibly empty
_ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "prof", "st", "no", "vs", "etc", "jr", "sr", "inc", "ltd", "co"]
)
# A paragraph cut mid-sentence: "covers all people,\n\nintegrates urban and rural areas".
_BROKEN_LINE = re.compile(r"(?<=[A-Za-z0-9\"”’)][,;])\n+(?=[\"“‘(]?[a-z])")
# "... security system. 1、 Optimize the structure": a numbered heading run into the text.
_RUN_IN_HEADING = re.compile(r"(?<=[.!?\"”]) (?=\d{1,2}、 ?[A-Z])")


def clean_text(text: str) -> str:
    """Return the display text: plain newlines, no invisible controls or HTML comments,
    glued boundaries repaired, repeated copies and web boilerplate removed. Body text is
    never shortened."""
    text = _NEWLINES.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    text = _HTML_COMMENT.sub("", text)
    text = _TRAILING_SPACE.sub("", text)
    text = _repair_glue(text)
    text = collapse_copies(text)
    text = drop_repeated_lines(text)
    text = drop_boilerplate(text)
    return _BLANK_RUNS.sub("\n\n", text).strip()


def _repair_glue(text: str) -> str:
    text = _DATELINE_GLUE.sub("\n", text)
    text = _SENTENCE_GLUE.sub(lambda m: _unglue(m, text), text)
    text = _BROKEN_LINE.sub(" ", text)
    return _RUN_IN_HEADING.sub("\n\n", text)


def _unglue(match: re.Match[str], text: str) -> str:
    """A line break when what follows is title-like (short, no final stop), else a space."""
    end = match.start() + 1  # just after the word's last letter
    word = _WORD_END.search(text, max(0, end - 40), end).group()  # type: ignore[union-attr]
    start = end - len(word)
    before = text[start - 1] if start else " "
    if len(word) < 2 or word.lower() in _ABBREVIATIONS or before in "./@:-_":
        return match.group(0)  # "U.S.", "www.Example", "e.g.The", "Mrs.Smith": no boundary
    end = text.find("\n", match.end())
    rest = text[match.end() : end if end != -1 else len(text)].rstrip()
    title_like = len(rest) <= 200 and not rest.endswith((".", "!", "?", "。", '"', "”"))
    return match.group(0) + ("\n" if title_like else " ")


# ---- matching normaliser ----------------------------------------------------------------

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
    text = _SUFFIX_GAP.sub("", unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)))
    text = _JOINED_PREFIX.sub(r"\1 ", text.translate(_MODEL_FOLD))
    return _SPACES.sub(" ", text).strip()
