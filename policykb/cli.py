"""The `policykb` command line: a thin layer over ingest, index and api."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from policykb import __version__
from ingest.errors import PolicyKBError

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach a model hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from policykb.options import backend_config, backend_options, index_option, model_option


class CLIGroup(click.Group):
    """Turns PolicyKBError into a one-line message and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PolicyKBError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
            sys.exit(1)


@click.group(cls=CLIGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policykb")
def cli() -> None:
    """policykb: search social-security policy texts in Chinese, English and Persian.

    \b
    Example:
        policykb build corpus/ && policykb serve
    """


def load_embedder(model: str | None) -> Any:
    from index.model.embed import Embedder

    return Embedder(model)


verbose_option = click.option(
    "--verbose", is_flag=True,
    help="Show the model libraries' own progress bars and warnings (hidden by default).",
)


@cli.command()
@click.argument("corpus", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--jsonl", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write every passage as a JSON line to this file.")
@click.option("--strict", is_flag=True, help="Exit non-zero if any file was skipped.")
@click.option("--explain", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Only show the metadata of this file (inside CORPUS) and where each field "
              "came from: manifest, front matter, file name, text, folder or default.")
def ingest(corpus: Path, jsonl: Path | None, strict: bool, explain: Path | None) -> None:
    """Split a corpus folder into passages and print a summary (no embedding).

    \b
    Example:
        policykb ingest corpus/ --jsonl passages.jsonl
        policykb ingest corpus/ --explain "corpus/local/新条例(2026-11-30).md"
    """
    from policykb.commands import explain_file, run_ingest

    if explain is not None:
        explain_file(corpus, explain)
        return
    ok = run_ingest(corpus, jsonl, strict)
    if not ok:
        sys.exit(1)


@cli.command()
@click.argument("corpus", type=click.Path(exists=True, file_okay=False, path_type=Path))
@index_option
@model_option
@click.option("--wait", is_flag=True, help="Wait for a running build instead of refusing.")
@click.option("--no-cache", is_flag=True, help="Re-embed every passage (ignore the embedding cache).")
@verbose_option
@backend_options
def build(corpus: Path, index_dir: Path, model: str | None, wait: bool, no_cache: bool,
          verbose: bool, **backend: Any) -> None:
    """Build a new index generation from a corpus folder and switch to it atomically.

    \b
    Example:
        policykb build corpus/ --index var/index
        policykb build corpus/ --backend milvus --milvus-uri var/milvus.db
    """
    from policykb.progress import load_model, quiet_libraries

    quiet_libraries(verbose)  # before the model libraries are imported
    from policykb.commands import run_build

    run_build(corpus, index_dir, load_model(model), update=False, wait=wait,
              use_cache=not no_cache, backend=backend_config(index_dir, **backend))


@cli.command()
@click.argument("corpus", type=click.Path(exists=True, file_okay=False, path_type=Path))
@index_option
@model_option
@click.option("--wait", is_flag=True, help="Wait for a running build instead of refusing.")
@verbose_option
@backend_options
def update(corpus: Path, index_dir: Path, model: str | None, wait: bool, verbose: bool,
           **backend: Any) -> None:
    """Refresh the index: embed only new or changed passages, drop deleted documents, and
    list the documents added, changed and removed. With --backend milvus the refreshed
    local generation is then published to Milvus, as build does.

    \b
    Example:
        policykb update corpus/ --index var/index
        policykb update corpus/ --backend milvus --milvus-uri var/milvus.db
    """
    from policykb.progress import load_model, quiet_libraries

    quiet_libraries(verbose)  # before the model libraries are imported
    from policykb.commands import run_build

    run_build(corpus, index_dir, load_model(model), update=True, wait=wait, use_cache=True,
              backend=backend_config(index_dir, **backend))


@cli.command()
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@backend_options
def status(index_dir: Path, as_json: bool, **backend: Any) -> None:
    """Show the current generation, its model, counts per language and document, sizes.
    With --backend milvus: the alias, the collection it serves, its manifest and row counts.

    \b
    Example:
        policykb status --index var/index
        policykb status --backend milvus --milvus-uri var/milvus.db
    """
    from policykb.commands import index_status

    from policykb.render import print_status

    print_status(index_status(index_dir, backend_config(index_dir, **backend)), as_json)


@cli.command()
@click.argument("query")
@index_option
@model_option
@click.option("--lang", "languages", multiple=True,
              help="Only passages in this language (zh, en, fa, mixed); repeatable.")
@click.option("--doc", "docs", multiple=True, help="Only this document id; repeatable.")
@click.option("--type", "doc_types", multiple=True,
              help="Only this doc type (law, regulation, local rule, article).")
@click.option("--topic", "topics", multiple=True, help="Only passages tagged with this topic id.")
@click.option("--k", default=10, show_default=True, type=click.IntRange(1, 100), help="Number of hits.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "lexical"]), default="hybrid",
              show_default=True, help="Which retrieval to use.")
@click.option("--json", "as_json", is_flag=True, help="Print hits as JSON.")
@click.option("--explain", is_flag=True,
              help="Show each hit's score parts: dense cosine, BM25, fused, matched terms.")
@verbose_option
@backend_options
def search(query: str, index_dir: Path, model: str | None, languages: tuple[str, ...],
           docs: tuple[str, ...], doc_types: tuple[str, ...], topics: tuple[str, ...], k: int,
           mode: str, as_json: bool, explain: bool, verbose: bool, **backend: Any) -> None:
    """Search the index and print the best clauses, highlighted, with a relevance of 0-100
    (100 = the best hit).

    \b
    Example:
        policykb search "multi-pillar pensions" --lang fa --k 5 --explain
    """
    from policykb.progress import quiet_libraries

    quiet_libraries(verbose)
    from index.query.warm import start_warming

    embedder = load_embedder(model)
    start_warming(embedder, query=query)  # dictionaries and query model load meanwhile
    from policykb.commands import run_search, search_request

    req = search_request(q=query, k=k, mode=mode, lang=list(languages), doc=list(docs),
                         type=list(doc_types), topic=list(topics))
    run_search(req, index_dir, embedder, as_json=as_json, explain=explain,
               backend=backend_config(index_dir, **backend))


@cli.command(name="eval")
@click.argument("sets", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--work", type=click.Path(file_okay=False, path_type=Path), default=Path("var/eval"),
              show_default=True, help="Where each set's index and embedding cache live.")
@model_option
@click.option("--mode", "modes", multiple=True, type=click.Choice(["lexical", "dense", "hybrid"]),
              help="Modes to evaluate (default: all three).")
@click.option("--no-translate", is_flag=True,
              help="Search with the query's own terms only (no cross-lingual lexical terms).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@backend_options
def eval_(sets: tuple[Path, ...], work: Path, model: str | None, modes: tuple[str, ...],
          no_translate: bool, as_json: bool, **backend: Any) -> None:
    """Evaluate retrieval on BEIR-format sets: nDCG@10, Recall@100, MRR@10 per mode and language.

    \b
    Example:
        policykb eval ../shared/eval/stard-zh ../shared/eval/parsinlu-fa
    """
    from policykb.commands import run_eval

    run_eval(list(sets), work, load_embedder(model), modes or ("lexical", "dense", "hybrid"),
             as_json, crosslingual=not no_translate, backend=backend_config(work, **backend))


@cli.command()
@index_option
@model_option
@click.option("--corpus", type=click.Path(file_okay=False, path_type=Path), default=Path("corpus"),
              show_default=True, help="Corpus folder that admin reindex jobs read.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, envvar="POLICYKB_WORKERS",
              type=click.IntRange(1, 64),
              help="Server processes sharing the socket and the index files "
              "(env POLICYKB_WORKERS); see docs/SERVING.md.")
def serve(index_dir: Path, model: str | None, corpus: Path, host: str, port: int,
          workers: int) -> None:
    """Serve the search page and the JSON API (OpenAPI at /docs).

    \b
    Example:
        policykb serve --index var/index --port 8000
        policykb serve --index var/index --workers 2
    """
    from policykb.serving import run_serve

    run_serve(index_dir, corpus, model, host, port, workers)


@cli.command()
@click.argument("dest", type=click.Path(path_type=Path))
@index_option
def backup(dest: Path, index_dir: Path) -> None:
    """Back up the current generation (SQLite backup API) into a new folder.

    \b
    Example:
        policykb backup backups/2026-11-22 --index var/index
    """
    from index.storage.backup import backup_index

    click.echo(f"backed up generation {backup_index(index_dir, dest)} to {dest}")


@cli.command()
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@index_option
def restore(src: Path, index_dir: Path) -> None:
    """Verify a backup and install it as the new current generation.

    \b
    Example:
        policykb restore backups/2026-11-22 --index var/index
    """
    from index.storage.backup import restore_index

    click.echo(f"restored {src} as generation {restore_index(src, index_dir)}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="policykb")
