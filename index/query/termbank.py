"""The trilingual term bank: load and validate the shipped TSV and admins' extension files.

Why a curated bank: statute vocabulary (用人单位 "employer", 经济补偿 "severance pay") is
what a cross-lingual question and the Chinese article share, and a general dictionary
translates it word by word, if at all. The file format is documented at the top of
termbank.tsv. Validation reads every line and reports every bad one at once
(`file:line: what is wrong`), so an admin fixes an extension file in one pass.

Duplicates: one row is one sense. The same term may appear on several rows (polysemy,
weighed down at translation time), but a row whose preferred term in one language maps to
the same preferred term in another language as an earlier row of the same file is a
duplicate and an error (it would silently double that translation). In a later file (an
extension) such a row is merged instead: its synonyms join the earlier row, so an admin can
add a Persian synonym by restating the row.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.text.normalize import normalize

LANGUAGES = ("en", "zh", "fa")
OTHER_COLUMNS = ("domain",)
SHIPPED = Path(__file__).with_name("termbank.tsv")

# What a cell of each language may contain, checked per synonym after stripping.
_SCRIPT = {
    "en": re.compile(r"[A-Za-z0-9\u00c0-\u024f][A-Za-z0-9\u00c0-\u024f '\-./&]*"),
    "zh": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff·]+"),
    "fa": re.compile(r"[\u0621-\u063a\u0641-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc"
                     r"\u06c0\u06f0-\u06f9\u0654\u200c ]+"),
}
_SCRIPT_NAME = {"en": "Latin", "zh": "Han (Chinese)", "fa": "Persian"}
_ARABIC_FORMS = re.compile("[\u064a\u0643]")  # Arabic yeh/kaf: Persian writes ی/ک


class TermBankError(ValueError):
    """A term bank file is unreadable or has bad lines (all of them are listed)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the term bank:\n" + "\n".join(problems))
        self.problems = problems


@dataclass
class Entry:
    """One sense: synonyms per language (preferred first), its domain and where it was read."""

    terms: dict[str, tuple[str, ...]]
    domain: str
    origin: str


@dataclass
class TermBank:
    """Validated entries of the shipped bank plus extension files, in reading order."""

    entries: list[Entry] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    merged: int = 0  # extension rows folded into an existing sense
    derived: dict[str, Any] = field(default_factory=dict, repr=False)  # matcher caches

    def domains(self) -> Counter[str]:
        """Number of senses per domain."""
        return Counter(e.domain or "-" for e in self.entries)


def load_term_bank(paths: Iterable[str | Path] = (), *, shipped: bool = True) -> TermBank:
    """Load the shipped bank (unless `shipped=False`) and then each extension file in order.

    Args:
        paths: extension TSV files (e.g. from the POLICYKB_TERMBANK setting).
        shipped: whether to start from index/query/termbank.tsv.
    Returns:
        The merged bank. Raises TermBankError listing every bad line of every file.
    """
    bank = TermBank()
    problems: list[str] = []
    files = ([SHIPPED] if shipped else []) + [Path(p) for p in paths]
    keys: dict[tuple[str, str, str, str], int] = {}  # preferred pair -> entry index
    for path in files:
        found: list[str] = []
        rows = _read_file(path, found)
        first_of_file = len(bank.entries)
        for where, entry in rows:
            _add(bank, entry, where, keys, first_of_file, found)
        problems.extend(sorted(found, key=_line_number))  # duplicates are found last
        bank.files.append(str(path))
    if problems:
        raise TermBankError(problems)
    return bank


def _line_number(problem: str) -> int:
    head = problem.split(": ", 1)[0]
    number = head.rsplit(":", 1)[-1]
    return int(number) if number.isdigit() else 0


def _read_file(path: Path, problems: list[str]) -> list[tuple[str, Entry]]:
    """(file:line, entry) for each good row; each bad line is appended to `problems`."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: cannot read ({exc})")
        return []
    header: list[str] | None = None
    rows: list[tuple[str, Any]] = []
    for number, line in enumerate(lines, 1):
        where = f"{path}:{number}"
        if not line.strip() and "\t" not in line or line.lstrip().startswith("#"):
            continue
        if header is None:
            header = _parse_header(line, where, problems)
            if header is None:
                return rows
            continue
        entry = _parse_row(line, header, where, problems)
        if entry is not None:
            rows.append((where, entry))
    if header is None:
        problems.append(f"{path}: no header line (e.g. 'en<TAB>zh<TAB>fa<TAB>domain')")
    return rows


def _parse_header(line: str, where: str, problems: list[str]) -> list[str] | None:
    columns = [c.strip().lower() for c in line.split("\t")]
    bad = [c for c in columns if c not in LANGUAGES + OTHER_COLUMNS]
    repeated = [c for c, n in Counter(columns).items() if n > 1]
    ok = True
    if bad:
        problems.append(f"{where}: unknown column(s) {', '.join(map(repr, bad))} in the header "
                        f"(languages: {', '.join(LANGUAGES)}; other: {', '.join(OTHER_COLUMNS)})")
        ok = False
    if repeated:
        problems.append(f"{where}: column(s) named twice in the header: {', '.join(repeated)}")
        ok = False
    if ok and sum(c in LANGUAGES for c in columns) < 2:
        problems.append(f"{where}: the header needs at least two language columns")
        ok = False
    return columns if ok else None


def _parse_row(line: str, header: list[str], where: str, problems: list[str]) -> Entry | None:
    cells = [c.strip() for c in line.split("\t")]
    if len(cells) != len(header):
        problems.append(f"{where}: expected {len(header)} tab-separated columns "
                        f"({', '.join(header)}), found {len(cells)}")
        return None
    if not any(cells):
        problems.append(f"{where}: empty row")
        return None
    errors: list[str] = []
    terms: dict[str, tuple[str, ...]] = {}
    for column, cell in zip(header, cells):
        if column in LANGUAGES and cell:
            terms[column] = _parse_cell(column, cell, errors)
    if len(terms) < 2 and not errors:
        errors.append("needs terms in at least two languages")
    for message in errors:
        problems.append(f"{where}: {message}")
    domain = cells[header.index("domain")] if "domain" in header else ""
    return None if errors else Entry(terms, domain, where)


def _parse_cell(lang: str, cell: str, errors: list[str]) -> tuple[str, ...]:
    synonyms = [s.strip() for s in cell.split("|")]
    if "" in synonyms:
        errors.append(f"{lang}: empty synonym in {cell!r} (stray '|')")
    synonyms = [s for s in synonyms if s]
    for term in synonyms:
        if lang == "fa" and _ARABIC_FORMS.search(term):
            errors.append(f"fa: {term!r} uses Arabic ي/ك; write Persian ی/ک")
        elif not _SCRIPT[lang].fullmatch(term):
            errors.append(f"{lang}: {term!r} is not {_SCRIPT_NAME[lang]} text")
    seen = Counter(normalize(s) for s in synonyms)
    errors.extend(f"{lang}: {s!r} listed twice in one cell" for s, n in seen.items() if n > 1)
    return tuple(dict.fromkeys(synonyms))


def _add(bank: TermBank, entry: Entry, where: str, keys: dict[tuple[str, str, str, str], int],
         first_of_file: int, problems: list[str]) -> None:
    """Append the entry, or report it as a duplicate (same file) or merge it (later file)."""
    pairs = _preferred_pairs(entry)
    earlier = next((keys[p] for p in pairs if p in keys), None)
    if earlier is None:
        for p in pairs:
            keys[p] = len(bank.entries)
        bank.entries.append(entry)
        return
    old = bank.entries[earlier]
    if earlier >= first_of_file:
        a, b = next(p for p in pairs if p in keys)[::2]
        problems.append(f"{where}: duplicate of {old.origin}: {a} {entry.terms[a][0]!r} -> "
                        f"{b} {entry.terms[b][0]!r} is already mapped there; add synonyms there")
        return
    for lang, terms in entry.terms.items():
        old.terms[lang] = tuple(dict.fromkeys(old.terms.get(lang, ()) + terms))
    old.domain = old.domain or entry.domain
    bank.merged += 1


def _preferred_pairs(entry: Entry) -> list[tuple[str, str, str, str]]:
    """(lang a, preferred a, lang b, preferred b) for each language pair, normalised."""
    langs = sorted(entry.terms)
    return [(a, normalize(entry.terms[a][0]), b, normalize(entry.terms[b][0]))
            for i, a in enumerate(langs) for b in langs[i + 1:]]
