"""kill -9 at random moments of `policykb build`/`update`, then check what survives.

Usage: python scripts/crash_trials.py --trials 200 [--corpus tests/data/corpus]

Each trial starts a real `policykb build` (or `update` after a corpus edit) on an index
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

from index import generation as gen  # noqa: E402


def policykb(*args: str) -> list[str]:
    return [sys.executable, "-c", "from policykb.cli import main; main()", *args]


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
    cmd = policykb("update" if update else "build", str(corpus), "--index", str(index_dir))
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(os.environ, HF_HUB_OFFLINE="1"))
    time.sleep(delay)
    finished = proc.poll() is not None
    if not finished:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    problem = check(index_dir, {before} if before else set())
    phase = "finished" if finished else f"killed@{delay:.2f}s"
    return phase, problem


def run_trials(n: int, corpus_src: Path, index_src: Path | None, max_delay: float,
               seed: int = 0, verbose: bool = True) -> int:
    """Run n trials on private copies; return the number of failures."""
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="policykb-crash-"))
    corpus, index_dir = work / "corpus", work / "index"
    shutil.copytree(corpus_src, corpus)
    if index_src:
        shutil.copytree(index_src, index_dir)
    else:
        subprocess.run(policykb("build", str(corpus), "--index", str(index_dir)), check=True,
                       stdout=subprocess.DEVNULL)
    failures = 0
    for i in range(n):
        phase, problem = trial(index_dir, corpus, rng.uniform(0, max_delay), rng.random() < 0.5)
        failures += bool(problem)
        if verbose:
            print(f"trial {i + 1:3d}: {phase:16} {'FAIL ' + problem if problem else 'ok'}",
                  flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return failures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--corpus", type=Path, default=REPO / "tests/data/corpus")
    ap.add_argument("--max-delay", type=float, default=20.0,
                    help="Upper bound of the random kill delay (about one build's duration).")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    failures = run_trials(args.trials, args.corpus, None, args.max_delay, args.seed)
    print(f"trials {args.trials}, failures {failures}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
