"""kill -9 at random moments of `policykb build`/`update`, then check what survives.

Usage: python scripts/crash_trials.py --trials 200 [--corpus tests/data/corpus]

Each trial forks a real `policykb build` (or `update` after a corpus edit) on an index
that already serves a generation, SIGKILLs it after a random delay, and checks: exactly
one complete generation loads (the old one, or the new one if the switch happened), never
a mix; PRAGMA integrity_check is ok; the loaded generation's counts agree. Prints a line
per trial and "trials N, failures F". The test suite runs a short version.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from index.storage import generation as gen  # noqa: E402
# Imported once here and inherited by every forked build (also freezes the code under test
# for the whole run).
import index.build  # noqa: E402,F401
import index.model.embed  # noqa: E402,F401
import policykb.cli  # noqa: E402,F401
import policykb.commands  # noqa: E402,F401
import sentence_transformers  # noqa: E402,F401


def policykb(*args: str) -> list[str]:
    return [sys.executable, "-c", "from policykb.cli import main; main()", *args]


def start_cli(*args: str) -> int:
    """Run `policykb ARGS` in a forked child and return its pid.

    A fork of this process, which has already imported torch and the CLI, starts the build
    at once: every kill lands in the build itself rather than in interpreter start-up, and
    200 trials take minutes instead of hours. The child runs the same click command as the
    console script and exits with its status. Fork only from a process that has not run
    FAISS or torch yet: their OpenMP thread pools do not survive a fork (a pytest process
    that had searched segfaulted in the child), hence the test runs this script.
    """
    pid = os.fork()
    if pid == 0:  # child: never return into the parent's code
        status = 1
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            from policykb.cli import cli

            cli.main(list(args), prog_name="policykb", standalone_mode=False)
            status = 0
        finally:
            os._exit(status)
    return pid


def check(index_dir: Path, allowed: set[str]) -> str:
    """'' if the index is sound and serves one of the allowed generations, else the problem."""
    gen_id = gen.current_generation_id(index_dir)
    if gen_id not in allowed and gen_id is not None:
        # a completed switch to the new generation is fine: it must then verify fully
        allowed = allowed | {gen_id}
    try:
        loaded = gen.load_generation(index_dir)
    except Exception as exc:  # noqa: BLE001 - any failure to load is a failed trial
        return f"load failed: {exc}"
    try:
        conn = sqlite3.connect(f"file:{loaded.path / gen.STORE_FILE}?mode=ro", uri=True)
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        conn.close()
        if ok != "ok":
            return f"integrity_check: {ok}"
        if loaded.id not in allowed:
            return f"unexpected generation {loaded.id}"
    finally:
        loaded.close()
    return ""


def trial(index_dir: Path, corpus: Path, delay: float, update: bool) -> tuple[str, str]:
    before = gen.current_generation_id(index_dir)
    if update:
        note = corpus / "crash_note.txt"
        note.write_text(f"Crash trial note {time.time()} about pension fund audits.\n",
                        encoding="utf-8")
    pid = start_cli("update" if update else "build", str(corpus), "--index", str(index_dir))
    time.sleep(delay)
    finished = os.waitpid(pid, os.WNOHANG)[0] == pid
    if not finished:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    problem = check(index_dir, {before} if before else set())
    phase = "finished" if finished else f"killed@{delay:.2f}s"
    return phase, problem


def timed_build(index_dir: Path, corpus: Path) -> float:
    """Seconds of one uninterrupted `policykb build` (forked as in the trials)."""
    started = time.perf_counter()
    pid = start_cli("build", str(corpus), "--index", str(index_dir))
    if os.waitpid(pid, 0)[1] != 0:
        raise SystemExit("the uninterrupted build failed: run it by hand to see why")
    return time.perf_counter() - started


def run_trials(n: int, corpus_src: Path, index_src: Path | None, max_delay: float | None,
               seed: int = 0, verbose: bool = True) -> int:
    """Run n trials on private copies; return (failures, trials that finished unkilled)."""
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="policykb-crash-"))
    corpus, index_dir = work / "corpus", work / "index"
    shutil.copytree(corpus_src, corpus)
    if index_src:
        shutil.copytree(index_src, index_dir)
    else:
        subprocess.run(policykb("build", str(corpus), "--index", str(index_dir)), check=True,
                       stdout=subprocess.DEVNULL)
    if max_delay is None:
        max_delay = 1.2 * timed_build(index_dir, corpus)
        if verbose:
            print(f"one uninterrupted build takes {max_delay / 1.2:.1f}s: kills land in "
                  f"0-{max_delay:.1f}s, so some trials finish and others die in the switch",
                  flush=True)
    failures = finished = 0
    for i in range(n):
        phase, problem = trial(index_dir, corpus, rng.uniform(0, max_delay), rng.random() < 0.5)
        failures += bool(problem)
        finished += phase == "finished"
        if verbose:
            print(f"trial {i + 1:3d}: {phase:16} {'FAIL ' + problem if problem else 'ok'}",
                  flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return failures, finished


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--corpus", type=Path, default=REPO / "tests/data/corpus")
    ap.add_argument("--max-delay", type=float, default=None,
                    help="Upper bound of the random kill delay in seconds (default: 1.2 x "
                         "the time of one uninterrupted build, measured first).")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--index-src", type=Path, default=None,
                    help="An index of --corpus to copy and start from (default: build one).")
    args = ap.parse_args()
    failures, finished = run_trials(args.trials, args.corpus, args.index_src, args.max_delay,
                                    args.seed)
    print(f"trials {args.trials}, failures {failures}, finished before the kill {finished}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
