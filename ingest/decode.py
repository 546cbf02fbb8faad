"""Decode text bytes of unknown encoding, refusing binary content that only looks like text."""

from __future__ import annotations

import unicodedata
from collections import Counter

from charset_normalizer import from_bytes

from ingest.errors import UnreadableDocument

_BOMS = (  # UTF-32 first: its LE BOM starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"),
)
_GB_FAMILY = frozenset({"gb2312", "gbk", "gb18030", "hz", "cp936"})
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f\x1b") + b"\x7f"


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode text bytes: BOM, then strict UTF-8 (the fast path), then a declared
    charset, then charset-normalizer; GB2312/GBK guesses decode as GB18030, their superset."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _checked(_try_decode(data, codec), data)
    text = _try_decode(data, "utf-8")
    if text is None and declared:
        text = _try_decode(data, _codec_name(declared))
    if text is None:
        best = from_bytes(data).best()
        if best is not None:
            text = _try_decode(data, _codec_name(best.encoding)) or str(best)
    if text is None:
        text = _mostly_utf8(data)
    return _checked(text, data)


def _codec_name(name: str) -> str:
    name = name.lower().replace("-", "").replace("_", "")
    return "gb18030" if name in _GB_FAMILY else name


def _try_decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _mostly_utf8(data: bytes) -> str | None:
    """Accept UTF-8 with rare broken bytes (a truncated download), not a wrong encoding."""
    text = data.decode("utf-8", errors="replace")
    return text if text.count("\ufffd") * 1000 <= len(text) else None


def _checked(text: str | None, data: bytes) -> str:
    sample = data[:65536]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if text is None:
        if b"\x00" in sample or controls > 0.05 * len(sample):
            raise UnreadableDocument("binary content, not text")
        raise UnreadableDocument("undecodable bytes (encoding unknown)")
    if _looks_binary(text[:65536]):
        raise UnreadableDocument("binary content, not text")
    return text.removeprefix("\ufeff")


def _looks_binary(sample: str) -> bool:
    """Binary bytes decoded by a permissive codec (UTF-16, cp125x) come out as control,
    unassigned, private-use or replacement characters; real text has almost none."""
    if "\x00" in sample:
        return True
    # Count per distinct character (Counter runs in C): a few thousand category look-ups
    # instead of one per character.
    bad = sum(
        n for c, n in Counter(sample).items()
        if (c < " " and c not in "\t\n\r\f") or c == "\ufffd"
        or (c > "\x7f" and unicodedata.category(c) in ("Cc", "Cn", "Co", "Cs"))
    )
    return bad > 0.02 * len(sample)
