"""Cross-lingual query translation: the query's phrases in the other languages, weighted.

Why: BM25 over a Chinese corpus scores 0 for an English or Persian question (no shared
tokens). Matching the question's phrases against the term bank (and, for English, against
CC-CEDICT) gives Chinese terms the lexical half can search with. Phrases are matched
longest-first on folded words (fold.keys), so "work injury insurance" wins over
"insurance". A weight says how much to trust each term: the bank's preferred term 1.0, its
synonyms SYNONYM, the general dictionary DICTIONARY; each divided by the number of senses
the source phrase has, so an ambiguous word spreads thin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from index.query.fold import guess_language, is_stopword, keys
from index.query.termbank import LANGUAGES, TermBank

SYNONYM = 0.7
DICTIONARY = 0.5
MAX_PHRASE = 8


@dataclass(frozen=True)
class Translation:
    """One target term for one matched source phrase."""

    source: str  # the matched phrase, as folded keys joined by spaces (zh: the substring)
    lang: str
    term: str
    weight: float  # in (0, 1]
    origin: str  # "termbank" | "cedict"


def translate_query(query: str, source_lang: str | None, bank: TermBank,
                    dictionary: Any = None) -> list[Translation]:
    """Translations of the query's phrases into every other language, best weight first.

    Args:
        query: the user's question.
        source_lang: "en", "zh" or "fa"; None guesses from the script.
        bank: the loaded term bank.
        dictionary: optional general dictionary (index.query.cedict.Dictionary) for the
            words the bank did not cover (English -> Chinese; Chinese -> English).
    """
    lang = source_lang or guess_language(query)
    index = _bank_index(bank, lang)
    words = keys(query, lang)
    matches, covered = _match(words, index, lang)
    found: dict[tuple[str, str, str], Translation] = {}
    for phrase, senses in matches:
        for target in LANGUAGES:
            if target != lang:
                _add_senses(found, phrase, senses, target, bank)
    if dictionary is not None:
        _add_dictionary(found, words, covered, lang, dictionary)
    return sorted(found.values(), key=lambda t: (-t.weight, t.lang, t.term))


def _add_senses(found: dict, phrase: str, senses: list[int], target: str, bank: TermBank) -> None:
    entries = [bank.entries[i] for i in senses if target in bank.entries[i].terms]
    for entry in entries:
        for rank, term in enumerate(entry.terms[target]):
            weight = (1.0 if rank == 0 else SYNONYM) / len(entries)
            _keep(found, Translation(phrase, target, term, weight, "termbank"))


def _add_dictionary(found: dict, words: list[str], covered: set[int], lang: str,
                    dictionary: Any) -> None:
    if lang == "en":
        free = [w if i not in covered else "\0" for i, w in enumerate(words)]
        for phrase, heads in _match(free, dictionary.en_to_zh, "en")[0]:
            for head in heads:
                _keep(found, Translation(phrase, "zh", head, DICTIONARY / len(heads),
                                         dictionary.origin))
    elif lang == "zh":
        import jieba  # only the zh -> en direction needs words

        text = words[0]
        for word in dict.fromkeys(jieba.cut(text)):
            glosses = dictionary.zh_to_en.get(word, [])[:3]
            if len(word) >= 2 and not any(word in t.source for t in found.values()):
                for gloss in glosses:
                    _keep(found, Translation(word, "en", gloss, DICTIONARY / len(glosses),
                                             dictionary.origin))


def _keep(found: dict, t: Translation) -> None:
    key = (t.source, t.lang, t.term)
    if key not in found or found[key].weight < t.weight:
        found[key] = t


def _bank_index(bank: TermBank, lang: str) -> dict:
    """Folded phrase -> sense indices for one source language (cached on the bank)."""
    cache_key = f"index:{lang}"
    if cache_key not in bank.derived:
        index: dict = {}
        for i, entry in enumerate(bank.entries):
            for term in entry.terms.get(lang, ()):
                for key in _term_keys(term, lang):
                    senses = index.setdefault(key, [])
                    if i not in senses:
                        senses.append(i)
        bank.derived[cache_key] = index
    return bank.derived[cache_key]


def _term_keys(term: str, lang: str) -> list:
    if lang == "zh":
        return [keys(term, "zh")[0]]
    words = tuple(keys(term, lang))
    out = [words] if words else []
    if lang == "fa" and len(words) > 1:  # "حق بیمه" also matches "حق‌بیمه" written joined
        out.append(tuple(keys("".join(term.split()), "fa")))
    return out


def _match(words: list[str], index: dict, lang: str) -> tuple[list[tuple[str, list[Any]]], set[int]]:
    """Longest-first phrase matches (phrase, senses) and the word positions they cover."""
    if lang == "zh":
        return _match_substrings(words[0] if words else "", index)
    out: list[tuple[str, list[Any]]] = []
    covered: set[int] = set()
    i = 0
    while i < len(words):
        for n in range(min(MAX_PHRASE, len(words) - i), 0, -1):
            span = tuple(words[i:i + n])
            senses = index.get(span)
            if senses is None and lang == "fa" and n > 1:
                senses = index.get(tuple(keys("".join(span), "fa")))
            if senses and not (n == 1 and is_stopword(span[0])):
                out.append((" ".join(span), senses))
                covered.update(range(i, i + n))
                i += n
                break
        else:
            i += 1
    return out, covered


def _match_substrings(text: str, index: dict) -> tuple[list[tuple[str, list[Any]]], set[int]]:
    longest = max((len(k) for k in index), default=0)
    out, i = [], 0
    while i < len(text):
        for n in range(min(longest, len(text) - i), 1, -1):
            senses = index.get(text[i:i + n])
            if senses:
                out.append((text[i:i + n], senses))
                i += n
                break
        else:
            i += 1
    return out, set()
