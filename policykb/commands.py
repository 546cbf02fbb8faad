"""What the CLI commands do, kept apart from option parsing so the API can reuse it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from index.storage import generation as gen
from index.errors import IndexNotFound, QueryError
from index.model.protocol import Embedder
from index.query.request import SearchRequest
from ingest.errors import PolicyKBError


def token_counter() -> Any:
    from index.model.embed import default_token_counter

    return default_token_counter()


def run_ingest(corpus: Path, jsonl: Path | None, strict: bool) -> bool:
    """Ingest a folder, print a line per file and a summary; return False on failure."""
    from ingest.manifest import load_manifest
    from ingest.pipeline import ingest_path

    bar = tqdm(desc="ingest", unit="file", leave=False)

    def on_file(path: Any, n_passages: Any = None, reason: Any = None) -> None:
        bar.update(1)
        if reason:
            tqdm.write(click.style(f"  skipped {path}: {reason}", fg="yellow"))
        else:
            tqdm.write(f"  {path}: {n_passages} passages")

    report = ingest_path(corpus, token_counter(), manifest=load_manifest(corpus), on_file=on_file)
    bar.close()
    by_lang = report.passages_by_language()
    n_passages = sum(by_lang.values())
    click.echo(f"files: {len(report.documents) + len(report.skipped)}  ingested: "
               f"{len(report.documents)}  skipped: {len(report.skipped)}  passages: {n_passages}")
    click.echo("passages per language: " + ", ".join(f"{k}={v}" for k, v in by_lang.items()))
    for s in report.skipped:
        click.secho(f"skipped {s.path}: {s.reason}", fg="yellow")
    if jsonl:
        with open(jsonl, "w", encoding="utf-8") as fh:
            for doc in report.documents:
                for p in doc.passages:
                    fh.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
        click.echo(f"wrote {n_passages} passages to {jsonl}")
    if not report.documents:
        return False
    return not (strict and report.skipped)


def explain_file(corpus: Path, path: Path) -> None:
    """Print the metadata ingest gives one file, each field with the source it came from."""
    from ingest.manifest import load_manifest
    from ingest.pipeline import ingest_file

    corpus, path = corpus.resolve(), path.resolve()
    if not path.is_relative_to(corpus):
        raise PolicyKBError(f"{path} is not inside the corpus folder {corpus}")
    doc = ingest_file(path, corpus, token_counter(), load_manifest(corpus))
    click.echo(f"{'field':10} {'source':13} value")
    for name, value in asdict(doc.meta).items():
        shown = "" if value is None else str(value)
        click.echo(f"{name:10} {doc.meta_sources.get(name, ''):13} {shown}")
    click.echo(f"{len(doc.passages)} passages, language {doc.language}")


def run_build(corpus: Path, index_dir: Path, embedder: Embedder, *, update: bool, wait: bool,
              use_cache: bool, backend: Any = None) -> None:
    """Build or update with one stage display, then what changed and the summary; with a
    Milvus `backend` the new local generation is then published there."""
    from index.build import build_index  # ingest's readers and splitters: not for search
    from policykb.progress import StageDisplay

    display = StageDisplay()
    try:
        result = build_index(corpus, index_dir, embedder, update=update, progress=display,
                             wait=wait, use_cache=use_cache)
    finally:
        display.finish()
    for s in result.skipped:
        click.secho(f"skipped {s.path}: {s.reason}", fg="yellow", err=True)
    echo_changes(result.changes)
    if result.up_to_date:
        click.echo(f"index is up to date ({result.generation}): {result.n_documents} documents, "
                   f"{result.n_passages} passages, 0 embedded [{result.seconds:.1f}s]")
    else:
        echo_result(result)
    if backend is not None and backend.name != "local":
        from index.storage.backends import publish

        click.echo(f"published to Milvus as {publish(backend)} (alias {backend.milvus_prefix})")


def echo_result(result: Any) -> None:
    line = (f"generation {result.generation}: {result.n_documents} documents, "
            f"{result.n_passages} passages, {result.n_embedded} embedded "
            f"({result.n_passages - result.n_embedded} from cache), "
            f"{len(result.skipped)} skipped in {result.seconds:.1f}s")
    embed_s = result.timings.get("embed", 0.0)
    if result.n_embedded and embed_s > 0:
        line += f"; embedding {result.n_embedded / embed_s:.1f} passages/s"
    click.echo(line)


def echo_changes(changes: Any) -> None:
    """Counts of added / changed / removed / unchanged documents, and the names that moved."""
    groups = {"added": changes.added, "changed": changes.changed, "removed": changes.removed}
    click.echo("documents: " + ", ".join(f"{len(v)} {k}" for k, v in groups.items())
               + f", {len(changes.unchanged)} unchanged")
    for label, names in groups.items():
        for name in names:
            click.echo(f"  {label:8} {name}")


def index_status(index_dir: Path, backend: Any = None) -> dict[str, Any]:
    """Generation, model, counts per language and document, and sizes of the current index;
    with a Milvus `backend`, what Milvus serves under its alias."""
    if backend is not None and backend.name != "local":
        from index.storage.backends import milvus_status

        return milvus_status(backend)
    gen_id = gen.current_generation_id(index_dir)
    if gen_id is None:
        raise IndexNotFound(f"no index at {index_dir}: run `policykb build corpus/ --index {index_dir}`")
    loaded = gen.load_generation(index_dir, gen_id)
    try:
        m = loaded.manifest
        sizes = {p.name: p.stat().st_size for p in loaded.path.iterdir() if p.is_file()}
        return {
            "generation": gen_id, "built_at": m["built_at"], "model": m["model"]["id"],
            "dimension": m["model"]["dim"], "vectors": m["vectors"]["kind"],
            "documents": m["counts"]["documents"], "passages": m["counts"]["passages"],
            "passages_by_language": m["counts"]["by_language"],
            "passages_by_document": loaded.store.passages_by_document(),
            "sizes_bytes": sizes, "generations_on_disk": gen.list_generations(index_dir),
        }
    finally:
        loaded.close()


def search_request(**fields: Any) -> SearchRequest:
    """The request the API would build from the same options; bad input is a QueryError."""
    from pydantic import ValidationError

    try:
        return SearchRequest(**fields)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise QueryError(problems) from None


def run_search(req: SearchRequest, index_dir: Path, embedder: Embedder, *,
               as_json: bool, explain: bool = False, backend: Any = None) -> None:
    from index.query.search import Searcher
    from index.storage import backends
    from policykb.render import print_hit, relevance

    config = backend or backends.BackendConfig(index_dir=index_dir)
    loaded = backends.load(config, model_id=embedder.model_id, dim=embedder.dim)
    try:
        page = Searcher(loaded, embedder).search(req)
    finally:
        loaded.close()
    if as_json:
        click.echo(json.dumps({"query": req.q, "total": page.total, "hits": page.hits,
                               "facets": page.facets}, ensure_ascii=False, indent=2))
        return
    click.echo(f"{page.total} results in {page.took_ms:.0f} ms ({page.generation})")
    best = page.hits[0]["scores"]["fused"] if page.hits else 0.0
    for rank, hit in enumerate(page.hits, 1):
        print_hit(rank, hit, relevance(hit["scores"]["fused"], best, req.mode), explain)


def stage_progress(bars: dict[str, tqdm], label: str) -> Callable[[str, int, int], None]:
    """A build progress callback keeping one bar per stage in `bars`, so the caller closes them."""
    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=f"{label} {stage}")
        bar.update(done - bar.n)

    return progress


def run_eval(sets: list[Path], work: Path, embedder: Embedder, modes: tuple[str, ...],
             as_json: bool, crosslingual: bool = True, backend: Any = None) -> None:
    from index.evaluation.beir import load_beir
    from index.evaluation.run import EVAL_SETTINGS, ensure_index, evaluate_set
    from index.query.fusion import FusionParams

    results = []
    for folder in sets:
        beir = load_beir(folder)
        bars: dict[str, tqdm] = {}
        progress = stage_progress(bars, beir.name)
        index_dir = ensure_index(beir, work, embedder, EVAL_SETTINGS, progress)
        for bar in bars.values():
            bar.close()
        with tqdm(total=len(beir.queries), desc=f"{beir.name} queries") as qbar:
            results.append(evaluate_set(beir, index_dir, embedder, FusionParams(), modes,
                                        on_query=lambda: qbar.update(1),
                                        crosslingual=crosslingual, backend=backend))
    if as_json:
        click.echo(json.dumps(results, ensure_ascii=False, indent=2))
        return
    click.echo(f"{'set':14} {'lang':5} {'mode':8} {'nDCG@10':>8} {'R@100':>7} {'MRR@10':>7} {'q':>5}")
    for res in results:
        for mode, by_lang in res["modes"].items():
            for lang, m in by_lang.items():
                click.echo(f"{res['set']:14} {lang:5} {mode:8} {m['nDCG@10']:8.3f} "
                           f"{m['R@100']:7.3f} {m['MRR@10']:7.3f} {m['queries']:5d}")
