"""Cold starts of the CLI, each in a new process, for one or more code trees in one run.

Usage: python benchmarks/cold_start.py [--tree LABEL=PATH ...] [--index var/index]
           [--corpus corpus] [--reps 5] [--work var/cold-start]

Measures, per tree (repetitions interleaved across trees, so a busy machine weighs on all
alike; medians, with min and max):
  search  `policykb search QUERY` wall, new process, on the shipped corpus index (goal <= 3 s)
  update  `policykb update CORPUS` wall on an unchanged corpus, and its share of one full
          `policykb build` wall measured here (empty embedding cache; goal < 5% and <= 3 s)
  serve   `policykb serve` until /api/health answers 200 (goal <= 5 s); also until it says
          "ok" (warm) and until a first /api/search has answered, both since the start
and beside each, "cpu": the CPU seconds the process used (to that point), which depend
far less on what else runs on the machine than wall seconds do.

Each tree runs with PYTHONPATH=PATH from PATH. Compare with main at a commit:
  git archive 7179a09 | tar -x -C var/main-7179a09
  python benchmarks/cold_start.py --tree before=var/main-7179a09 --tree after=.
The build runs once (first tree) and its index is copied for every tree's `update`: the
fingerprint of an unchanged corpus does not depend on which tree computes it. One untimed
`update` per tree comes first: the steady state, in which the current code has recorded
the corpus files' fingerprint (index/snapshot.py) for the generation.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

CLI = "from policykb.cli import main; main()"


def env_for(tree: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(tree), HF_HUB_OFFLINE="1")
    env.pop("POLICYKB_EMBED_CACHE", None)  # the build embeds everything: a full build
    return env


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_cli(tree: Path, *args: str, timeout: float = 1800) -> tuple[float, float]:
    """Wall and CPU seconds of one `policykb ARGS` in a new process; raises if it fails.
    CPU seconds say what the command costs whatever else the machine is running."""
    started, cpu = time.perf_counter(), children_cpu()
    proc = subprocess.run([sys.executable, "-c", CLI, *args], cwd=tree, env=env_for(tree),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          timeout=timeout)
    wall = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"policykb {' '.join(args)} failed in {tree}:\n{proc.stderr[-2000:]}")
    return wall, children_cpu() - cpu


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, {}
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, {}


def serve_once(tree: Path, index: Path, query: str, timeout: float = 300) -> dict[str, float]:
    """Seconds from the start of `policykb serve` until health answers 200, until it says
    "ok", and until a first search has answered."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CLI, "serve", "--index", str(index),
                             "--port", str(port)], cwd=tree, env=env_for(tree),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out: dict[str, float] = {}
    try:
        while time.perf_counter() - started < timeout and proc.poll() is None:
            status, body = get(f"{base}/api/health")
            now = time.perf_counter() - started
            if status == 200:
                if "answers" not in out:
                    out["answers"], out["answers cpu"] = now, process_cpu(proc.pid)
                if body.get("status") == "ok":
                    out.setdefault("warm", now)
                if "first search" not in out:
                    q = urllib.parse.quote(query)
                    if get(f"{base}/api/search?q={q}")[0] != 200:
                        raise SystemExit(f"search failed on {tree}")
                    out["first search"] = time.perf_counter() - started
                if "warm" in out:
                    return out
            time.sleep(0.05)
        raise SystemExit(f"serve from {tree} did not become ready: {out}")
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def add(results: dict[str, list[float]], key: str, wall_cpu: tuple[float, float]) -> None:
    results.setdefault(key, []).append(wall_cpu[0])
    results.setdefault(f"{key} cpu", []).append(wall_cpu[1])


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", action="append", default=[],
                    help="LABEL=PATH of a code tree (repeatable; default: this one)")
    ap.add_argument("--index", type=Path, default=Path("var/index"),
                    help="index that search and serve read (the shipped corpus)")
    ap.add_argument("--corpus", type=Path, default=Path("corpus"))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--query", default="失业保险金的领取条件")
    ap.add_argument("--work", type=Path, default=Path("var/cold-start"))
    ap.add_argument("--skip", action="append", default=[], choices=["search", "update", "serve"])
    args = ap.parse_args()
    trees = dict(t.split("=", 1) for t in args.tree) or {"this": "."}
    trees_p = {label: Path(p).resolve() for label, p in trees.items()}
    index, corpus = args.index.resolve(), args.corpus.resolve()
    results: dict[str, dict[str, list[float]]] = {label: {} for label in trees_p}
    load = [os.getloadavg()[0]]
    build_s = None
    if "update" not in args.skip:
        first = next(iter(trees_p.values()))
        built = args.work.resolve() / "built"
        shutil.rmtree(built, ignore_errors=True)
        build_s = run_cli(first, "build", str(corpus), "--index", str(built))[0]
        for label, tree in trees_p.items():
            shutil.rmtree(args.work.resolve() / label, ignore_errors=True)
            shutil.copytree(built, args.work.resolve() / label)
            # untimed: the steady state an admin sees (a tree may record what it checks)
            run_cli(tree, "update", str(corpus), "--index", str(args.work.resolve() / label))
    for rep in range(args.reps):
        for label, tree in trees_p.items():
            r = results[label]
            if "search" not in args.skip:
                add(r, "search", run_cli(tree, "search", args.query, "--index", str(index)))
            if "update" not in args.skip:
                add(r, "update", run_cli(tree, "update", str(corpus), "--index",
                                         str(args.work.resolve() / label)))
            if "serve" not in args.skip:
                for key, value in serve_once(tree, index, args.query).items():
                    r.setdefault(f"serve {key}", []).append(value)
        print(f"rep {rep + 1}/{args.reps} done (load {os.getloadavg()[0]:.1f})", file=sys.stderr)
    load.append(os.getloadavg()[0])
    report(results, build_s, load, args.reps)


def report(results: dict[str, dict[str, list[float]]], build_s: float | None,
           load: list[float], reps: int) -> None:
    labels = list(results)
    print(f"cold starts, {reps} reps, median (min-max) seconds; load average "
          f"{load[0]:.1f} at start, {load[1]:.1f} at end")
    if build_s is not None:
        print(f"full build (first tree, empty embedding cache): {build_s:.1f} s")
    print(f"{'measure':22}" + "".join(f"{label:>24}" for label in labels))
    for key in results[labels[0]]:
        print(f"{key:22}" + "".join(f"{summary(results[label][key]):>24}" for label in labels))
    if build_s:
        print(f"{'update / build':22}" + "".join(
            f"{statistics.median(results[label]['update']) / build_s:>24.3f}" for label in labels))
    if len(labels) > 1:
        base = labels[0]
        for label in labels[1:]:
            ratios = ", ".join(
                f"{key} {statistics.median(results[base][key]) / statistics.median(values):.1f}x"
                for key, values in results[label].items() if key in results[base])
            print(f"{base} / {label} (medians): {ratios}")


if __name__ == "__main__":
    main()
