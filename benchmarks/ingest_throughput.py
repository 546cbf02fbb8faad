"""Measure ingest throughput (load + clean + structure + split, no embedding) in MB of text/s.

Usage: python benchmarks/ingest_throughput.py [FOLDER ...] [--budget 320] [--repeat 3]
Defaults to ../shared/corpus-sources and the shipped corpus/. Uses the real e5 tokenizer
counter (index.model.embed.default_token_counter), since counting tokens is the main cost.
Also reports how many 第X条 articles fit the passage budget whole.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from index.model.embed import default_token_counter
from ingest.pipeline import IngestReport, ingest_path
from ingest.split import DEFAULT_BUDGET
from ingest.structure import find_structure

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FOLDERS = [ROOT.parent / "shared" / "corpus-sources", ROOT / "corpus"]


class TimedCounter:
    """Wraps the token counter to report how much of the time it takes."""

    def __init__(self, count: Callable[[str], int]) -> None:
        self.count, self.calls, self.seconds = count, 0, 0.0

    def __call__(self, text: str) -> int:
        started = time.perf_counter()
        try:
            return self.count(text)
        finally:
            self.calls += 1
            self.seconds += time.perf_counter() - started


def article_fit(report: IngestReport, count: Callable[[str], int], budget: int) -> tuple[int, int]:
    """(articles that fit the budget whole, all 第X条 / Article sections)."""
    fit = total = 0
    for doc in report.documents:
        for section in find_structure(doc.text, doc.language).sections:
            if section.is_article:
                total += 1
                fit += count(doc.text[section.start:section.end].strip()) <= budget
    return fit, total


def measure(folder: Path, count: Callable[[str], int], budget: int, repeat: int) -> IngestReport:
    """Ingest `folder` `repeat` times (the fastest run counts) and print a summary.

    CPU seconds are printed beside wall seconds: on a shared machine the wall clock
    also measures the neighbours.
    """
    runs, report = [], IngestReport()
    timed = TimedCounter(count)
    for _ in range(repeat):
        timed.calls, timed.seconds = 0, 0.0
        wall, cpu = time.perf_counter(), time.process_time()
        report = ingest_path(folder, timed, budget=budget)
        runs.append((time.perf_counter() - wall, time.process_time() - cpu, timed.seconds))
    wall, cpu, counting = min(runs)
    mb_in = sum((folder / d.meta.source).stat().st_size for d in report.documents) / 1e6
    mb_clean = sum(len(d.text.encode("utf-8")) for d in report.documents) / 1e6
    print(f"{folder}: {len(report.documents)} documents, {len(report.skipped)} skipped, "
          f"{report.n_passages} passages {report.passages_by_language()}")
    print(f"  {mb_in:.2f} MB read ({mb_clean:.2f} MB after cleaning): wall {wall:.2f} s = "
          f"{mb_in / wall:.2f} MB/s, CPU {cpu:.2f} s = {mb_in / cpu:.2f} MB/s; "
          f"token counting {counting:.2f} s wall in {timed.calls} calls")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, help="corpus folders (default: both)")
    parser.add_argument("--budget", type=int, default=DEFAULT_BUDGET, help="passage budget")
    parser.add_argument("--repeat", type=int, default=3, help="runs per folder; best counts")
    args = parser.parse_args()
    started = time.perf_counter()
    count = default_token_counter()
    count("warm up")
    print(f"tokenizer loaded in {time.perf_counter() - started:.2f} s")
    for folder in args.folders or DEFAULT_FOLDERS:
        if not folder.is_dir():
            print(f"{folder}: missing, skipped")
            continue
        report = measure(folder, count, args.budget, args.repeat)
        fit, total = article_fit(report, count, args.budget)
        if total:
            print(f"  第X条 articles fitting {args.budget} tokens whole: {fit}/{total} "
                  f"= {100 * fit / total:.1f}%")


if __name__ == "__main__":
    main()
