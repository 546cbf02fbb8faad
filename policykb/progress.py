"""One progress display per build: a bar for the running stage, a line for each finished one.

Every line is measured here, from the stage's first report to its last, so the rate a line
shows is the rate its bar showed. Library noise (weights-loading bars, advisory warnings)
is silenced unless --verbose: it used to fill the screen while nothing of ours moved.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import warnings
from typing import Any

import click
from tqdm import tqdm

UNITS = {"read": "file", "embed": "passage", "analyse": "passage", "write": "passage",
         "verify": "check"}
_NOISY = ("transformers", "sentence_transformers", "huggingface_hub", "torch", "jieba")


def quiet_libraries(verbose: bool) -> None:
    """Unless verbose: no progress bars or advisory warnings from the model libraries.

    Call before they are imported: transformers reads HF_HUB_DISABLE_PROGRESS_BARS once.
    """
    if verbose:
        return
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    if "transformers" in sys.modules:  # already imported (tests, the API process)
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"(transformers|sentence_transformers|torch)\b")


def load_model(model: str | None) -> Any:
    """The embedder, with a line saying what is loading and how long it took."""
    from index.model.embed import Embedder

    started = time.perf_counter()
    click.echo("load model ...", err=True, nl=False)
    embedder = Embedder(model)
    click.echo(f"\rload model  {embedder.model_id}  {time.perf_counter() - started:.1f}s",
               err=True)
    return embedder


class StageDisplay:
    """A `progress(stage, done, total)` callback for index.build: see Progress there."""

    def __init__(self) -> None:
        self.stage: str | None = None
        self.bar: tqdm | None = None
        self.started = 0.0
        self.done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.finish()
            self.stage, self.started, self.done = stage, time.perf_counter(), 0
            self.bar = tqdm(total=total or None, desc=f"{stage:8}",
                            unit=UNITS.get(stage, "item"), leave=False)
        assert self.bar is not None
        self.bar.update(done - self.done)
        self.done = done

    def finish(self) -> None:
        """Close the running stage's bar and print its line: count, seconds, rate."""
        if self.stage is None or self.bar is None:
            return
        self.bar.close()
        seconds = time.perf_counter() - self.started
        unit = UNITS.get(self.stage, "item")
        line = f"{self.stage:10} {self.done:6} {unit}s  {seconds:6.1f}s"
        if self.done and seconds >= 0.05 and self.stage != "verify":
            line += f"  {self.done / seconds:8.1f} {unit}s/s"
        click.echo(line, err=True)
        self.stage, self.bar = None, None
