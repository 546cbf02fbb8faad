"""HTTP throughput and latency of `policykb serve` with 1 and 2 worker processes, and of
txtai's API with the same model on the same passages and vectors, in one run.

Usage: python benchmarks/bench_workers.py [--size 100000] [--rounds 3]
           [--txtai-python var/txvenv/bin/python] [--policykb-mode hybrid dense]

Builds (once) the synthetic index of benchmarks/synthetic.py and, with --txtai-python, a
txtai index of the same passages and vectors (benchmarks/txtai_side.py; txtai is not a
policykb dependency: install it into a separate environment). Starts each server in
turn (cold start = process start until it answers), then measures in ROUNDS rounds,
each running every server at 1 and at 8 clients, the order rotated per round so that
the machine's other load falls on all of them alike. Each client keeps one connection
(keep-alive) and sends distinct queries (GET /api/search?q=..&k=10 for policykb,
GET /search?query=..&limit=10 for txtai). Prints req/s, p50 and p95 per server and
client count, the ratios, the per-worker share of requests, the CPU the server used
(cores kept busy, CPU ms per request: a server that already keeps every core busy
cannot gain from more workers), the servers' memory (proportional set size summed
over their processes) and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.http_clients import run_clients, wait_until_answers  # noqa: E402
from benchmarks.synthetic import build_synthetic  # noqa: E402

CLIENTS = (1, 8)


@dataclass
class Server:
    name: str
    port: int
    path: str  # search path and the query/limit parameter names
    q: str
    k: str
    extra: dict = field(default_factory=dict)  # more query parameters per request
    proc: subprocess.Popen | None = None
    cold_s: float = 0.0
    memory: float = 0.0  # MiB
    latencies: dict[int, list[float]] = field(default_factory=dict)
    wall: Counter = field(default_factory=Counter)
    cpu: Counter = field(default_factory=Counter)  # CPU seconds its processes used, per load
    client_cpu: Counter = field(default_factory=Counter)  # and the clients (this process)
    workers: Counter = field(default_factory=Counter)


def start(server: Server, argv: list[str], env: dict[str, str]) -> None:
    server.proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
    server.cold_s = wait_until_answers(
        server.proc, f"http://127.0.0.1:{server.port}{server.path}",
        {server.q: "warm up", server.k: 1}, server.name)


def stop(server: Server) -> None:
    if server.proc and server.proc.poll() is None:
        os.killpg(server.proc.pid, 15)
        server.proc.wait(timeout=60)


def measure(server: Server, clients: int, per_client: int, tag: str,
            record: bool = True) -> None:
    cpu_before, client_before = (cpu_seconds(server.proc.pid) if server.proc else 0.0,
                                 time.process_time())
    load = run_clients(server.port, server.path, server.q, server.k, clients, per_client, tag,
                       server.extra)
    if record:
        server.cpu[clients] += (cpu_seconds(server.proc.pid) if server.proc else 0.0) - cpu_before
        server.client_cpu[clients] += time.process_time() - client_before
        server.wall[clients] += load.wall_s
        server.latencies.setdefault(clients, []).extend(load.latencies_ms)
        server.workers.update(load.workers)


def process_tree(root_pid: int) -> list[int]:
    """A process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_seconds(root_pid: int) -> float:
    """User + system CPU time of a server's processes so far: over a load, how many of the
    machine's cores the server kept busy, and its CPU cost per request."""
    total = 0
    for pid in process_tree(root_pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def pss_mib(root_pid: int) -> float:
    """Proportional set size of a process and its descendants (shared pages split)."""
    total = 0
    for pid in process_tree(root_pid):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def servers_for(args: argparse.Namespace, index_dir: Path, tx_dir: Path | None
                ) -> list[tuple[Server, list[str], dict[str, str]]]:
    env = dict(os.environ, PYTHONPATH=str(REPO), POLICYKB_SEARCH_RATE_PER_MINUTE="100000000",
               POLICYKB_SEARCH_BURST="1000000", POLICYKB_SEARCHES_IN_FLIGHT_PER_CLIENT="64")
    env.pop("POLICYKB_WORKERS", None)
    cli = [sys.executable, "-c", "from policykb.cli import main; main()", "serve", "--index",
           str(index_dir)]
    out = []
    port = args.port
    for mode in args.policykb_mode:
        for n in (1, 2):
            name = f"policykb {n} worker{'s' * (n > 1)}" + (
                f" ({mode})" if mode != "hybrid" else "")
            out.append((Server(name, port, "/api/search", "q", "k", extra={"mode": mode}),
                        [*cli, "--port", str(port), "--workers", str(n)], env))
            port += 1
    if tx_dir is not None:
        tx_env = dict(os.environ, CONFIG=str(tx_dir / "api.yml"))
        for n in (1, 2)[: args.txtai_workers]:
            out.append((Server(f"txtai {n} worker{'s' * (n > 1)}", port, "/search", "query",
                               "limit"),
                        [args.txtai_python, "-m", "uvicorn", "txtai.api:app", "--port",
                         str(port), "--workers", str(n)], tx_env))
            port += 1
    return out


def ensure_indexes(args: argparse.Namespace) -> tuple[Path, Path | None]:
    index_dir = args.index or args.work / f"synthetic-{args.size}"
    if args.index:
        args.size = json.loads((index_dir / (index_dir / "CURRENT").read_text().strip()
                                / "manifest.json").read_text())["counts"]["passages"]
    elif not (index_dir / "CURRENT").exists():
        from index.model.embed import Embedder

        build_synthetic(index_dir, args.size, Embedder())
    if not args.txtai_python:
        return index_dir, None
    tx_dir = (args.work / f"txtai-{index_dir.name}-{args.size}").resolve()
    if not (tx_dir / "api.yml").exists():
        from index.model.files import resolve_model

        gen = index_dir / (index_dir / "CURRENT").read_text().strip()
        tx_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run([args.txtai_python, str(REPO / "benchmarks" / "txtai_side.py"),
                        str(gen.resolve()), str(tx_dir), str(resolve_model(None)[0])],
                       check=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    return index_dir, tx_dir


def report(servers: list[Server], args: argparse.Namespace, load: list[tuple]) -> None:
    print(f"index {args.index or 'synthetic'}: passages={args.size} rounds={args.rounds} requests per round: "
          f"{args.per_client_1} (1 client), {8 * args.per_client_8} (8 clients)")
    print(f"load average (1/5/15 min) before {load[0]}, after {load[1]}; cores {os.cpu_count()}")
    base = {c: len(servers[0].latencies[c]) / servers[0].wall[c] for c in CLIENTS}
    for s in servers:
        print(f"\n{s.name}: cold start {s.cold_s:.1f} s, memory (PSS) {s.memory:.0f} MiB, "
              f"requests per worker {sorted(s.workers.values(), reverse=True)}")
        for c in CLIENTS:
            a = np.array(s.latencies[c])
            rate = len(a) / s.wall[c]
            print(f"  {c} client{'s' * (c > 1)}: {rate:6.1f} req/s ({rate / base[c]:.2f}x "
                  f"{servers[0].name})  p50 {np.percentile(a, 50):7.1f} ms  "
                  f"p95 {np.percentile(a, 95):7.1f} ms  n={len(a)}  server CPU "
                  f"{s.cpu[c] / s.wall[c]:.2f} cores, {1e3 * s.cpu[c] / len(a):.0f} ms/request; "
                  f"clients {s.client_cpu[c] / s.wall[c]:.2f} cores")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--per-client-1", type=int, default=30, help="Requests, 1 client, a round.")
    ap.add_argument("--per-client-8", type=int, default=15, help="Requests per client of 8.")
    ap.add_argument("--work", type=Path, default=Path("var/bench"))
    ap.add_argument("--index", type=Path,
                    help="Serve this existing index instead of the synthetic one (--size unused).")
    ap.add_argument("--port", type=int, default=8771)
    ap.add_argument("--txtai-python", help="Python with txtai installed; omit to skip txtai.")
    ap.add_argument("--policykb-mode", nargs="+", default=["hybrid"],
                    choices=("hybrid", "dense", "lexical"),
                    help="Retrieval modes of policykb's requests, each served with 1 and 2 "
                         "workers (dense: what txtai does).")
    ap.add_argument("--txtai-workers", type=int, default=1, choices=(1, 2),
                    help="Also run txtai with 2 uvicorn workers when 2.")
    args = ap.parse_args()
    index_dir, tx_dir = ensure_indexes(args)
    plan = servers_for(args, index_dir, tx_dir)
    servers = [s for s, _, _ in plan]
    load = [os.getloadavg()]
    try:
        for server, argv, env in plan:  # one at a time: cold starts do not compete
            start(server, argv, env)
            measure(server, 8, 3, "warm", record=False)
        for r in range(args.rounds):
            for server in servers[r % len(servers):] + servers[: r % len(servers)]:
                measure(server, 1, args.per_client_1, f"r{r}")
                measure(server, 8, args.per_client_8, f"r{r}")
        for s in servers:
            s.memory = pss_mib(s.proc.pid) if s.proc else 0.0
    finally:
        for server in servers:
            stop(server)
    load.append(os.getloadavg())
    report(servers, args, [tuple(round(x, 1) for x in la) for la in load])


if __name__ == "__main__":
    main()
