"""HTTP search latency with 8 concurrent clients at 100k passages, and server cold start.

Usage: python benchmarks/bench_http.py [--size 100000] [--clients 8] [--requests 400]

Builds (once) the synthetic index of benchmarks/synthetic.py, starts `policykb serve` on
it in a subprocess, reports the cold start (process start until /api/health answers 200),
then runs the clients against GET /api/search with distinct queries (no query-cache hits)
and prints p50/p95/p99 and throughput. Goal on this 2-core machine: p50 <= 25 ms,
p95 <= 60 ms.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.http_clients import run_clients, wait_until_answers  # noqa: E402
from benchmarks.synthetic import build_synthetic  # noqa: E402


def start_server(index_dir: Path, port: int) -> tuple[subprocess.Popen, float]:
    env = dict(os.environ, POLICYKB_SEARCH_RATE_PER_MINUTE="100000000",
               POLICYKB_SEARCH_BURST="1000000")
    proc = subprocess.Popen([sys.executable, "-c", "from policykb.cli import main; main()",
                             "serve", "--index", str(index_dir), "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, wait_until_answers(proc, f"http://127.0.0.1:{port}/api/health")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=400, help="Total requests measured.")
    ap.add_argument("--work", type=Path, default=Path("var/bench"))
    ap.add_argument("--port", type=int, default=8765)
    args = ap.parse_args()
    index_dir = args.work / f"synthetic-{args.size}"
    if not (index_dir / "CURRENT").exists():
        from index.model.embed import Embedder

        build_synthetic(index_dir, args.size, Embedder())
    proc, cold = start_server(index_dir, args.port)
    try:
        run_clients(args.port, "/api/search", "q", "k", args.clients, 5, "warm")
        load = run_clients(args.port, "/api/search", "q", "k", args.clients,
                           args.requests // args.clients)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    a = np.array(load.latencies_ms)
    print(f"passages={args.size} clients={args.clients} requests={len(a)} cold_start={cold:.1f}s")
    print(f"p50={np.percentile(a, 50):.1f}ms p95={np.percentile(a, 95):.1f}ms "
          f"p99={np.percentile(a, 99):.1f}ms throughput={len(a) / load.wall_s:.1f} req/s "
          f"(goal p50 <= 25 ms, p95 <= 60 ms)")


if __name__ == "__main__":
    main()
