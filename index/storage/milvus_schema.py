"""Milvus layout of a generation: client, collection names, schemas, filter expressions.

A generation is five collections named `<prefix>_<generation>[_part]`: passages (dense
vector, BM25 sparse vector, row fields with their document's fields denormalised),
documents (text in chunks), terms (document frequencies and sparse dimensions), sentences
(clause vectors) and meta (manifest, FTS totals). The alias `<prefix>` names the passages
collection of the served generation; moving it is the switch. pymilvus is imported
lazily so the default (SQLite + FAISS) backend never needs it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from index.errors import IndexNotFound

PARTS = ("", "_docs", "_terms", "_sents", "_meta")
TEXT_MAX = 65_535  # bytes in a Milvus VARCHAR
TEXT_CHUNK = 16_000  # characters per document-text row: at most 4 bytes each fits TEXT_MAX
TOPICS_MAX = 256
# FTS5's unicode61 tokenizer: runs of letters and numbers, case-folded (as index.query.bm25).
FTS_TOKEN = re.compile(r"[^\W_]+")
FILTER_FIELDS = {"lang": "language", "doc": "doc_id", "type": "doc_type", "issuer": "issuer"}


def milvus() -> Any:
    """The pymilvus module, or an ImportError that names the extra to install."""
    try:
        import pymilvus
    except ImportError as exc:
        raise ImportError("the Milvus backend needs pymilvus (and milvus-lite for a local "
                          "file): pip install 'policykb[milvus]'") from exc
    return pymilvus


def connect(uri: str, token: str | None = None, db_name: str | None = None) -> Any:
    """A MilvusClient; a local path (no scheme) starts Milvus Lite on that file."""
    kwargs: dict[str, Any] = {"uri": str(uri)}
    if token:
        kwargs["token"] = token
    if db_name:
        kwargs["db_name"] = db_name
    return milvus().MilvusClient(**kwargs)


def collection_name(prefix: str, gen_id: str, part: str = "") -> str:
    """`<prefix>_<generation><part>` with the characters Milvus refuses made underscores."""
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{prefix}_{gen_id}") + part


def served_collection(client: Any, prefix: str) -> str | None:
    """The passages collection the alias names, None when nothing was published."""
    if prefix not in client.list_aliases().get("aliases", []):
        return None
    return str(client.describe_alias(prefix)["collection_name"])


def load(client: Any, name: str, replicas: int | None = None) -> None:
    """Load a collection into the query nodes, `replicas` copies of it (Milvus's default, 1,
    when None; Milvus Lite accepts any number and keeps one). A no-op when loaded."""
    if replicas is None:
        client.load_collection(name)
    else:
        client.load_collection(name, replica_number=replicas)


def create_options(shards: int | None) -> dict[str, Any]:
    """Keyword arguments of `create_collection`: the shard count when one is set (Milvus
    Lite accepts it and keeps one shard)."""
    return {} if shards is None else {"num_shards": shards}


def meta_value(client: Any, base: str, key: str, replicas: int | None = None) -> Any:
    """One value of a generation's meta collection (loaded first: after a Milvus Lite
    restart collections come back released)."""
    load(client, base + "_meta", replicas)
    rows = client.query(base + "_meta", filter=f"key == {literal(key)}", output_fields=["value"])
    return json.loads(rows[0]["value"]) if rows else None


def require_served(client: Any, prefix: str) -> str:
    name = served_collection(client, prefix)
    if name is None:
        raise IndexNotFound(f"no Milvus index under alias {prefix!r}: run "
                            "`policykb build corpus/ --backend milvus --milvus-uri URI` first")
    return name


def literal(values: list[str] | str) -> str:
    """A Milvus string (or list) literal: JSON's escaping, which the parser accepts."""
    return json.dumps(values, ensure_ascii=False)


def ids_expr(ids: Any) -> str:
    return f"id in [{', '.join(str(int(i)) for i in ids)}]"


def filter_expr(filters: dict[str, list[str]] | None, date_from: str | None = None,
                date_to: str | None = None) -> str:
    """The Milvus boolean expression of the metadata filters ('' when there are none).

    `date` is coalesce(published, effective), stored at build time; comparisons with a
    null date are false, as in SQL.
    """
    parts: list[str] = []
    for key, values in (filters or {}).items():
        if not values:
            continue
        values = [str(v) for v in values]
        if key == "topic":
            parts.append(f"array_contains_any(topics, {literal(values)})")
        else:
            parts.append(f"{FILTER_FIELDS[key]} in {literal(values)}")
    if date_from:
        parts.append(f"date >= {literal(date_from)}")
    if date_to:
        parts.append(f"date <= {literal(date_to)}")
    return " and ".join(f"({p})" for p in parts)


def match_terms(match: str) -> list[str]:
    """The quoted terms of an FTS5 MATCH expression as index.query.lexical writes it."""
    return [m.replace('""', '"') for m in re.findall(r'"((?:[^"]|"")*)"', match)]


def tokens(text: str) -> list[str]:
    return FTS_TOKEN.findall(text.lower())


def _schema(fields: list[tuple[str, str, dict[str, Any]]], auto_id: bool = False) -> Any:
    schema = milvus().MilvusClient.create_schema(auto_id=auto_id)
    types = milvus().DataType
    for i, (name, kind, extra) in enumerate(fields):
        if kind == "ARRAY":
            extra = dict(extra, element_type=types.VARCHAR)
        schema.add_field(name, getattr(types, kind), is_primary=(i == 0), **extra)
    return schema


def _text(n: int = TEXT_MAX, nullable: bool = False) -> tuple[str, dict[str, Any]]:
    return "VARCHAR", {"max_length": n, "nullable": nullable}


def passage_schema(dim: int) -> Any:
    opt = _text(1024, True)
    return _schema([
        ("id", "INT64", {}), ("vector", "FLOAT_VECTOR", {"dim": dim}),
        ("bm25", "SPARSE_FLOAT_VECTOR", {}), ("doc_id", *_text(512)),
        ("ordinal", "INT64", {}), ("text", *_text()), ("start", "INT64", {}),
        ("end", "INT64", {}), ("language", *_text(32)), ("heading_path", *_text()),
        ("n_tokens", "INT64", {}), ("text_hash", *_text(64)),
        ("topics", "ARRAY", {"max_capacity": TOPICS_MAX, "max_length": 256}),
        ("parallels", *_text()), ("dup_group", "INT64", {"nullable": True}),
        ("lex", *_text()), ("lex_len", "INT64", {}), ("title", *opt), ("doc_type", *opt),
        ("issuer", *opt), ("published", *_text(64, True)), ("effective", *_text(64, True)),
        ("date", *_text(64, True)),
    ])


def aux_schema(part: str, dim: int) -> Any:
    """Documents, terms, sentences and meta; Milvus wants a vector field in every
    collection, so the ones without vectors carry a 2-d placeholder."""
    unused = ("unused", "FLOAT_VECTOR", {"dim": 2})
    if part == "_docs":
        return _schema([("key", *_text(600)), ("doc_id", *_text(512)), ("part", "INT64", {}),
                        ("meta", *_text()), ("text", *_text()), unused])
    if part == "_terms":
        return _schema([("term", *_text()), ("docs", "INT64", {}), ("dim", "INT64", {}),
                        unused])
    if part == "_sents":
        return _schema([("sid", "INT64", {}), ("passage_id", "INT64", {}),
                        ("start", "INT64", {}), ("end", "INT64", {}),
                        ("vec", "FLOAT_VECTOR", {"dim": dim})], auto_id=True)
    return _schema([("key", *_text(128)), ("value", *_text()), unused])


def index_params(client: Any, part: str, flat: bool) -> Any:
    params = client.prepare_index_params()
    if part == "":
        if flat:
            params.add_index("vector", index_type="FLAT", metric_type="IP")
        else:
            params.add_index("vector", index_type="HNSW", metric_type="IP",
                             params={"M": 32, "efConstruction": 200})
        params.add_index("bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    elif part == "_sents":
        params.add_index("vec", index_type="FLAT", metric_type="IP")
    else:
        params.add_index("unused", index_type="FLAT", metric_type="L2")
    return params
