"""Search latency through each backend on one index: local SQLite + FAISS vs Milvus.

Usage: python benchmarks/bench_milvus.py INDEX_DIR --milvus-uri URI [--prefix P]
       [--queries FILE.jsonl] [--n 100] [--clients 4]
       python benchmarks/bench_milvus.py --synthetic 100000 --milvus-uri URI [--work DIR]

The local generation in INDEX_DIR (or the synthetic index of benchmarks/synthetic.py,
built once under --work) is published to Milvus in a child process (a no-op if already
there), so this process's memory holds only what serving needs. The same queries (BEIR
queries.jsonl `text`, or a built-in multilingual list) then run through `Searcher` on both
backends in this one run, query vectors embedded beforehand so only storage, fusion and
presentation are timed: single-threaded per mode, then hybrid from `--clients` threads.
Prints p50/p95 per backend and mode, queries/s with several clients, how many pages
differ, and the resident memory each backend added (RSS after opening it and searching,
minus RSS before) with the on-disk size, per passage.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from index.model.embed import Embedder  # noqa: E402
from index.query.request import SearchRequest  # noqa: E402
from index.query.search import Searcher  # noqa: E402
from index.storage import backends  # noqa: E402

DEFAULT = ["pension insurance", "住房公积金", "social security contributions",
           "بیمه تامین اجتماعی", "employer contribution rate", "养老保险 缴费",
           "work injury benefits", "失业保险金的领取期限", "بیمه بیکاری", "基本医疗保险"]
MODES = ("hybrid", "lexical", "dense")


def rss_mb() -> float:
    """Resident memory of this process now (Linux /proc), in MiB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def dir_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 2**20


def timed(searcher: Searcher, queries: list[str], mode: str) -> tuple[list[float], list]:
    times, pages = [], []
    for q in queries:
        t0 = time.perf_counter()
        page = searcher.search(SearchRequest(q=q, mode=mode, k=10))
        times.append((time.perf_counter() - t0) * 1e3)
        pages.append([h["passage_id"] for h in page.hits])
    return times, pages


def concurrent(searcher: Searcher, queries: list[str], clients: int) -> tuple[list[float], float]:
    """Hybrid searches of `queries` from `clients` threads: latencies and queries/s."""
    shares = [queries[i::clients] for i in range(clients)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        times = [t for ts, _ in pool.map(lambda s: timed(searcher, s, "hybrid"), shares)
                 for t in ts]
    return times, len(queries) / (time.perf_counter() - t0)


def line(label: str, times: list[float]) -> str:
    q = statistics.quantiles(times, n=20)
    return (f"{label:24} p50 {statistics.median(times):7.1f} ms  p95 {q[18]:7.1f} ms  "
            f"({len(times)} queries)")


def publish_in_child(config: backends.BackendConfig) -> None:
    """Publish from a child process: its build-time memory is not counted here, and Milvus
    Lite (one process per file) is free again when it exits."""
    ctx = multiprocessing.get_context("spawn")
    t0 = time.perf_counter()
    child = ctx.Process(target=backends.publish, args=(config,))
    child.start()
    child.join()
    if child.exitcode != 0:
        sys.exit(f"publish failed (exit {child.exitcode})")
    print(f"publish {time.perf_counter() - t0:.1f}s (a no-op when already published)")


def bench_backend(config: backends.BackendConfig, emb: Embedder, queries: list[str],
                  clients: int, results: dict) -> None:
    before = rss_mb()
    loaded = backends.load(config, model_id=emb.model_id, dim=emb.dim)
    n = int(loaded.manifest["counts"]["passages"])
    searcher = Searcher(loaded, emb)
    searcher.prime_queries(queries)
    timed(searcher, queries[:5], "hybrid")  # warm caches and connections
    for mode in MODES:
        times, pages = timed(searcher, queries, mode)
        results[(config.name, mode)] = pages
        print(line(f"{config.name} {mode}", times))
    if clients > 1:
        times, qps = concurrent(searcher, queries, clients)
        print(line(f"{config.name} hybrid x{clients} clients", times) + f"  {qps:.1f} q/s")
    grown = rss_mb() - before
    disk = dir_mb(Path(config.milvus_uri) if config.name == "milvus"
                  else config.index_dir / loaded.id)
    print(f"{config.name}: {n} passages; RSS +{grown:.0f} MiB "
          f"({grown * 2**20 / n:.0f} B/passage); on disk {disk:.0f} MiB "
          f"({disk * 2**20 / n:.0f} B/passage)")
    loaded.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("index_dir", type=Path, nargs="?")
    ap.add_argument("--synthetic", type=int, help="Use the synthetic index of this size.")
    ap.add_argument("--work", type=Path, default=Path("var/bench"),
                    help="Where the synthetic index is built (once).")
    ap.add_argument("--milvus-uri", required=True)
    ap.add_argument("--prefix", default="bench")
    ap.add_argument("--queries", type=Path)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--clients", type=int, default=4)
    args = ap.parse_args()
    queries = ([json.loads(line)["text"] for line in args.queries.open(encoding="utf-8")]
               if args.queries else [f"{q} {i}" if i >= len(DEFAULT) else q
                                     for i, q in enumerate(DEFAULT * 50)])[: args.n]
    emb = Embedder()
    index_dir = args.index_dir
    if args.synthetic:
        from benchmarks.synthetic import build_synthetic

        index_dir = args.work / f"synthetic-{args.synthetic}"
        build_synthetic(index_dir, args.synthetic, emb)
    if index_dir is None:
        ap.error("give INDEX_DIR or --synthetic N")
    milvus = backends.BackendConfig("milvus", index_dir, milvus_uri=args.milvus_uri,
                                    milvus_prefix=args.prefix)
    publish_in_child(milvus)
    results: dict = {}
    for config in (backends.BackendConfig(index_dir=index_dir), milvus):
        bench_backend(config, emb, queries, args.clients, results)
    for mode in MODES:
        a, b = results[("local", mode)], results[("milvus", mode)]
        print(f"{mode}: {sum(x != y for x, y in zip(a, b))} of {len(a)} pages differ in ids")


if __name__ == "__main__":
    main()
