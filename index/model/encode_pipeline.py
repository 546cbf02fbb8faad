"""Overlapped, length-sorted encoding: a thread tokenises while the model runs.

Why: `SentenceTransformer.encode` tokenises, runs the model and pools one batch after the
other, so on a GPU the device idles while the CPU tokenises (measured: plain encode reaches
about a third of the forward pass's own rate on an H100). Here a producer thread tokenises
(the tokenizers library releases the GIL) and pads the next batches while the device runs
the current one; inputs travel through pinned memory; pooling, sentence spans and
normalisation stay on the device and only pooled vectors come back at the end.

Sentence (span) vectors come from the same forward pass ("late chunking"): the mean of the
passage's contextual token vectors over the tokens inside the span, computed for all spans
of a batch at once from prefix sums.
"""

from __future__ import annotations

import os
from itertools import chain
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Span = tuple[int, int]


@dataclass
class Batch:
    """One padded batch: rows of the input, token ids, masks, and span token ranges."""

    rows: np.ndarray        # input positions of the batch's texts
    rows_t: Any             # the same as a (pinned) int64 tensor
    ids: Any                # (b, t) int64 tensor
    mask: Any               # (b, t) int64 tensor: attention mask
    real: Any               # (b, t) bool tensor: tokens that cover characters (spans only)
    span_rows: Any          # (s,) int64: batch row of each span
    span_first: Any         # (s,) int64: first token of the span (inclusive)
    span_end: Any           # (s,) int64: one past its last token; == first when empty


class EncodePipeline:
    """Encodes texts with a sentence-transformers model in big length-sorted batches.

    `tokenizer` is a tokenizers.Tokenizer that adds the model's special tokens and
    truncates at the model's limit; `pad_id` pads; the model's first module gives token
    vectors and the remaining modules (pooling, normalisation) the text vector, so any
    pooling the model declares is honoured.
    """

    def __init__(self, st: Any, tokenizer: Any, pad_id: int, batch_size: int) -> None:
        self.st = st
        self.tokenizer = tokenizer
        self.pad_id = pad_id
        tokenizer.enable_padding(pad_id=pad_id, pad_to_multiple_of=8)
        self.batch_size = batch_size
        self.device = st.device
        cores = os.cpu_count() or 1
        self.producers = max(1, min(4, cores // 4)) if self.device.type == "cuda" else 1
        # A GPU waits on the tokenizer, not the reverse: no global length sort (a second
        # tokenising pass); texts are sorted within chunks of 8 batches instead.
        self.presort = self.device.type != "cuda"

    def encode(self, texts: Sequence[str], prompt: str,
               spans: Sequence[Sequence[Span]] | None = None
               ) -> tuple[np.ndarray, list[np.ndarray] | None]:
        """(unit vectors in input order, unit span vectors per text or None).

        Texts are taken in the order given, in chunks of 8 batches sorted by token length:
        callers that sort the whole input first (the build does) get no padding waste.
        """
        import torch

        dim = self.st.get_embedding_dimension()
        n = len(texts)
        if n == 0:
            return np.empty((0, dim), np.float32), [] if spans is not None else None
        out = torch.empty((n, dim), dtype=torch.float32, device=self.device)
        span_parts: list[tuple[np.ndarray, Any]] = []
        with torch.inference_mode():
            for batch in self._batches(texts, prompt, spans):
                self._run(batch, out, span_parts)
        vecs = _unit(out.cpu().numpy())
        if spans is None:
            return vecs, None
        return vecs, self._collect_spans(span_parts, spans, dim)

    def _run(self, batch: Batch, out: Any, span_parts: list) -> None:
        import torch

        dev = self.device
        ids, mask = (t.to(dev, non_blocking=True) for t in (batch.ids, batch.mask))
        features = self.st[0]({"input_ids": ids, "attention_mask": mask})
        tokens = features["token_embeddings"]
        for module in list(self.st)[1:]:
            features = module(features)
        passage = features["sentence_embedding"].float()
        out[batch.rows_t.to(dev, non_blocking=True)] = passage
        if batch.real is None:
            return
        real = batch.real.to(dev, non_blocking=True)
        # Prefix sums over real tokens: a span's sum is a difference of two rows.
        weighted = tokens.float() * real.unsqueeze(-1)
        sums = torch.nn.functional.pad(weighted.cumsum(1), (0, 0, 1, 0))
        counts = torch.nn.functional.pad(real.cumsum(1), (1, 0))
        r, a, e = (t.to(dev, non_blocking=True)
                   for t in (batch.span_rows, batch.span_first, batch.span_end))
        span_n = (counts[r, e] - counts[r, a]).unsqueeze(-1)
        span_mean = (sums[r, e] - sums[r, a]) / span_n.clamp(min=1)
        # a span with no token inside (cut off by truncation) gets the passage vector
        span_vecs = torch.where(span_n > 0, span_mean, passage[r])
        span_parts.append((batch.rows, torch.nn.functional.normalize(span_vecs, dim=-1)))

    @staticmethod
    def _collect_spans(parts: list, spans: Sequence[Sequence[Span]], dim: int
                       ) -> list[np.ndarray]:
        """Per text, its span vectors (unit norm), from the batches' device tensors."""
        import torch

        result: list[np.ndarray] = [np.empty((0, dim), np.float32)] * len(spans)
        if not parts:
            return result
        rows = np.concatenate([p[0] for p in parts])
        counts = np.fromiter((len(spans[i]) for i in rows), np.int64, len(rows))
        vecs = torch.cat([p[1] for p in parts]).cpu().numpy()
        for i, block in zip(rows, np.split(vecs, np.cumsum(counts)[:-1])):
            result[i] = block
        return result

    def _batches(self, texts: Sequence[str], prompt: str,
                 spans: Sequence[Sequence[Span]] | None) -> Iterator[Batch]:
        """Batches made by background threads when there is more than one.

        On a GPU several threads tokenise chunks side by side (the tokenizer runs without
        the GIL; one thread alone, converting token lists to arrays between calls, fed an
        H100 at about a third of its forward rate). On a CPU one thread: the model needs
        the cores.
        """
        chunk = 8 * self.batch_size
        if len(texts) <= self.batch_size:
            yield from self._make_batches(texts, prompt, spans, 0, len(texts))
            return
        starts = list(range(0, len(texts), chunk))
        workers = min(len(starts), self.producers)
        pending: queue.Queue = queue.Queue(maxsize=2 * workers + 2)
        stop = threading.Event()

        def put(item: object) -> bool:
            while not stop.is_set():
                try:
                    pending.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def produce(mine: list[int]) -> None:
            try:
                for start in mine:
                    for batch in self._make_batches(texts, prompt, spans, start,
                                                    min(len(texts), start + chunk)):
                        if not put(batch):
                            return
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer, re-raised
                put(exc)
            put(None)

        threads = [threading.Thread(target=produce, args=(starts[w::workers],), daemon=True,
                                    name=f"tokenise-{w}") for w in range(workers)]
        for thread in threads:
            thread.start()
        try:
            done = 0
            while done < workers:
                item = pending.get()
                if item is None:
                    done += 1
                elif isinstance(item, BaseException):
                    raise item
                else:
                    yield item
        finally:
            stop.set()
            for thread in threads:
                thread.join()

    def _make_batches(self, texts: Sequence[str], prompt: str,
                      spans: Sequence[Sequence[Span]] | None, start: int, end: int
                      ) -> Iterator[Batch]:
        """Tokenise texts[start:end] in one call, sort by length, cut padded batches.

        Array work is vectorised per batch: the producer must outpace a GPU that runs
        ~10,000 passages/s, which per-row Python loops do not.
        """
        import torch

        pin = self.device.type == "cuda"
        chunk = [prompt + t for t in texts[start:end]]
        # Character offsets cost half of tokenising: only spans need them. The tokenizer
        # pads the chunk, so numpy converts whole rows instead of token by token.
        enc = (self.tokenizer.encode_batch(chunk) if spans is not None
               else self.tokenizer.encode_batch_fast(chunk))
        all_ids = np.array([e.ids for e in enc], np.int64)
        all_mask = np.array([e.attention_mask for e in enc], bool)
        all_offs = np.array([e.offsets for e in enc], np.int64) if spans is not None else None
        lengths = all_mask.sum(1)
        order = np.argsort(-lengths, kind="stable")
        for b in range(0, len(order), self.batch_size):
            local = order[b:b + self.batch_size]
            width = -(-int(lengths[local].max()) // 8) * 8  # multiple of 8 for tensor cores
            mask = all_mask[local, :width]
            arrays: list[np.ndarray] = [local + start, all_ids[local, :width],
                                        mask.astype(np.int64)]
            span_t: list[Any] = [None, None, None, None]
            if all_offs is not None and spans is not None:
                offs = all_offs[local, :width]
                real = mask & (offs[..., 1] > offs[..., 0])
                arrays.append(real)
                span_t = [None, *_span_ranges([spans[start + i] for i in local], offs, real,
                                              len(prompt))]
            tensors = [torch.from_numpy(np.ascontiguousarray(a)) for a in arrays]
            if pin:
                tensors = [t.pin_memory() for t in tensors]
            if spans is not None:
                span_t[0] = tensors[3]
            yield Batch(local + start, tensors[0], tensors[1], tensors[2], *span_t)


def _span_ranges(batch_spans: Sequence[Sequence[Span]], offs: np.ndarray, real: np.ndarray,
                 shift: int) -> list[Any]:
    """(batch row, first token, end token) tensors of every span: the real tokens it overlaps.

    Offsets rise along the sequence, so the real tokens overlapping a span are contiguous
    among the real ones, and prefix sums over real tokens give exactly their mean. All
    spans of the batch are placed by two binary searches over the flattened batch: each
    row's offsets made monotone (a non-real token takes its neighbour's offset) and
    lifted by row * `big` so that rows do not interleave.
    """
    import torch

    n_rows, width = real.shape
    counts = np.fromiter((len(s) for s in batch_spans), np.int64, n_rows)
    sp = np.fromiter(chain.from_iterable(chain.from_iterable(batch_spans)), np.int64,
                     2 * int(counts.sum())).reshape(-1, 2) + shift
    big = int(max(offs.max(initial=0), sp.max(initial=0))) + 2
    sp = np.minimum(sp, big - 1)
    ends = np.maximum.accumulate(np.where(real, offs[..., 1], 0), axis=1)
    starts = np.minimum.accumulate(np.where(real, offs[..., 0], big - 1)[:, ::-1], axis=1)
    lift = (np.arange(n_rows, dtype=np.int64) * big)[:, None]
    rows = np.repeat(np.arange(n_rows, dtype=np.int64), counts)
    # first real token ending after the span's start; first token starting at/after its end
    first = np.searchsorted((ends + lift).ravel(), sp[:, 0] + rows * big, side="right")
    end = np.searchsorted((starts[:, ::-1] + lift).ravel(), sp[:, 1] + rows * big, side="left")
    empty = end <= first
    first, end = first - rows * width, end - rows * width
    first[empty] = end[empty] = 0
    return [torch.from_numpy(x) for x in (rows, first, end)]


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)
