"""GPU embedding throughput: plain SentenceTransformer.encode vs an overlapped, length-sorted path.

Usage: python benchmarks/gpu_embed_throughput.py [--n 65536] [--batch 1024] [--tokens 128]
       python benchmarks/gpu_embed_throughput.py --cpu-smoke     # tiny run on CPU, checks it works
Builds e5-small's architecture (BertModel, 12 layers, hidden 384, vocab 250037) with random
weights, or loads --model DIR, and the default tokenizer (index.convert, no weight conversion).
Passages are ~--tokens tokens of random windows over corpus/ text and built-in en/fa sentences.
The optimised path tokenises in a background thread (the tokenizers library releases the GIL)
while the GPU runs earlier batches; batches are big and length-sorted, inputs go through pinned
memory with non_blocking copies, and mean pooling + normalisation stay on the GPU.
Goal: >= 10,000 passages/s end to end on one H100.
"""

from __future__ import annotations

import argparse
import queue
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

E5_SMALL = dict(vocab_size=250037, hidden_size=384, num_hidden_layers=12, num_attention_heads=12,
                intermediate_size=1536, max_position_embeddings=512, type_vocab_size=2,
                hidden_act="gelu", layer_norm_eps=1e-12, pad_token_id=1)
PROMPT, PAD_ID, MAX_LEN = "passage: ", 1, 512
EN = ("the employer shall pay contributions for every employee within thirty days of hiring "
      "insured persons who reach the statutory retirement age receive a monthly pension "
      "unemployment benefit may not be lower than the local minimum living standard").split()
FA = ("کارفرما موظف است حق بیمه کارگران را تا پایان ماه بعد به سازمان تأمین اجتماعی بپردازد "
      "بیمه‌شده پس از رسیدن به سن بازنشستگی مستمری ماهانه دریافت می‌کند و مقرری بیکاری").split()


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cpu-smoke", action="store_true", help="tiny fp32 run on CPU")
    p.add_argument("--n", type=int, help="passages (default 65536; smoke 48)")
    p.add_argument("--batch", type=int, help="optimised batch size (default 1024; smoke 16)")
    p.add_argument("--st-batch", type=int, default=32, help="plain encode batch size")
    p.add_argument("--tokens", type=int, default=128, help="target tokens per passage")
    p.add_argument("--model", type=Path, help="sentence-transformers folder instead of random")
    return p.parse_args()


def make_passages(tokenizer, n: int, tokens: int, seed: int = 0) -> list[str]:
    """Random zh/en/fa passages of about `tokens` tokens (random windows defeat token caches)."""
    rng = random.Random(seed)
    zh = "".join(p.read_text(encoding="utf-8", errors="ignore")
                 for p in sorted((ROOT / "corpus").rglob("*.md"))).replace("\n", "")
    zh = zh or "社会保险基金专款专用，任何组织和个人不得侵占或者挪用。" * 200

    def window(k: int) -> str:
        start = rng.randrange(max(1, len(zh) - k))
        return zh[start:start + k]

    makers = [window, lambda k: " ".join(rng.choices(EN, k=k)),
              lambda k: " ".join(rng.choices(FA, k=k))]
    rates = []  # tokens per unit (character or word), measured on a pilot
    for make in makers:
        pilot = [make(100) for _ in range(20)]
        rates.append(sum(len(e.ids) for e in tokenizer.encode_batch(pilot)) / 2000)
    return [makers[i % 3](max(1, round(tokens / rates[i % 3]))) for i in range(n)]


def load_tokenizer(model: Path | None):
    from tokenizers import Tokenizer

    from index.convert import ensure_default_tokenizer

    path = model / "tokenizer.json" if model else ensure_default_tokenizer()
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(MAX_LEN)
    return tokenizer, path


def load_model(model: Path | None, tokenizer_path: Path, tmp: Path, device: str, dtype):
    """SentenceTransformer with mean pooling over all tokens (as e5) + normalisation."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Normalize, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    if model is not None:
        st = SentenceTransformer(str(model), device=device, local_files_only=True)
        return st.to(dtype)
    torch.manual_seed(0)
    BertModel(BertConfig(**E5_SMALL)).to(dtype).save_pretrained(tmp)
    PreTrainedTokenizerFast(tokenizer_file=str(tokenizer_path), bos_token="<s>", eos_token="</s>",
                            pad_token="<pad>", unk_token="<unk>", model_max_length=MAX_LEN,
                            model_input_names=["input_ids", "attention_mask"]).save_pretrained(tmp)
    modules = [Transformer(str(tmp), model_kwargs={"dtype": dtype}),
               Pooling(E5_SMALL["hidden_size"], pooling_mode="mean", include_prompt=True),
               Normalize()]
    return SentenceTransformer(modules=modules, device=device).to(dtype)


def produce(tokenizer, passages: list[str], batch: int, out: queue.Queue) -> None:
    """Tokenise chunks of 8 batches, sort each by length, emit padded pinned tensors."""
    import torch

    pin = torch.cuda.is_available()
    try:
        for start in range(0, len(passages), 8 * batch):
            enc = tokenizer.encode_batch([PROMPT + t for t in passages[start:start + 8 * batch]])
            lengths = np.fromiter((len(e.ids) for e in enc), np.int64, len(enc))
            order = np.argsort(lengths, kind="stable")
            for b in range(0, len(order), batch):
                rows = order[b:b + batch]
                width = -(-int(lengths[rows].max()) // 8) * 8  # multiple of 8 for tensor cores
                mask = np.arange(width) < lengths[rows, None]
                ids = np.full(mask.shape, PAD_ID, np.int64)
                ids[mask] = np.fromiter((i for r in rows for i in enc[r].ids), np.int64,
                                        int(lengths[rows].sum()))
                tensors = [torch.from_numpy(a) for a in (ids, mask.astype(np.int64), rows + start)]
                out.put([t.pin_memory() if pin else t for t in tensors])
    except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer
        out.put(exc)
    out.put(None)


def encode_optimised(st, tokenizer, passages: list[str], batch: int) -> np.ndarray:
    """Overlap CPU tokenisation with GPU forward passes; pool and normalise on the GPU."""
    import torch

    model, device = st[0].model, st.device
    q: queue.Queue = queue.Queue(maxsize=6)
    threading.Thread(target=produce, args=(tokenizer, passages, batch, q), daemon=True).start()
    out = torch.empty((len(passages), E5_SMALL["hidden_size"]), device=device)
    with torch.inference_mode():
        while (item := q.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            ids, mask, rows = (t.to(device, non_blocking=True) for t in item)
            hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
            weights = mask.to(hidden.dtype).unsqueeze(1)  # (b, 1, t): bmm sums in fp32
            pooled = torch.bmm(weights, hidden).squeeze(1).float() / mask.sum(1, keepdim=True)
            out[rows] = torch.nn.functional.normalize(pooled, dim=-1)
    return out.cpu().numpy()


def timed(name: str, fn, n: int, tokens: float) -> tuple[np.ndarray, float]:
    import torch

    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    sync()
    started = time.perf_counter()
    result = fn()
    sync()
    seconds = time.perf_counter() - started
    print(f"{name:<34} {n / seconds:>10,.0f} passages/s {n * tokens / seconds:>12,.0f} tokens/s"
          f"  ({seconds:.2f} s)")
    return result, n / seconds


def main() -> None:
    args = parse_args()
    import torch

    if not args.cpu_smoke and not torch.cuda.is_available():
        sys.exit("no CUDA device: run with --cpu-smoke to check the script on CPU")
    device = "cpu" if args.cpu_smoke else "cuda"
    dtype = torch.float32 if args.cpu_smoke else torch.float16
    n = args.n or (48 if args.cpu_smoke else 65536)
    batch = args.batch or (16 if args.cpu_smoke else 1024)
    tokenizer, tokenizer_path = load_tokenizer(args.model)
    passages = make_passages(tokenizer, n, args.tokens)
    mean_tokens = float(np.mean([len(e.ids) for e in tokenizer.encode_batch(
        [PROMPT + t for t in passages[:2000]])]))
    name = torch.cuda.get_device_name() if device == "cuda" else "CPU"
    print(f"{name}, torch {torch.__version__}, {n} passages, {mean_tokens:.0f} tokens on average")
    with tempfile.TemporaryDirectory() as tmp:
        st = load_model(args.model, tokenizer_path, Path(tmp), device, dtype)
    warm = passages[: min(n, 2 * batch)]
    encode_optimised(st, tokenizer, warm, batch)  # CUDA context, cuBLAS heuristics
    st.encode(warm[:64], prompt=PROMPT, batch_size=args.st_batch)
    timed("tokenise only (CPU, all threads)", lambda: tokenizer.encode_batch(passages), n,
          mean_tokens)
    plain, _ = timed(f"plain encode, batch {args.st_batch}", lambda: st.encode(
        passages, prompt=PROMPT, batch_size=args.st_batch, normalize_embeddings=True), n,
        mean_tokens)
    fast, rate = timed(f"optimised, batch {batch}",
                       lambda: encode_optimised(st, tokenizer, passages, batch), n, mean_tokens)
    cos = (plain.astype(np.float32) * fast).sum(1)
    print(f"agreement plain vs optimised: mean cosine {cos.mean():.5f}, min {cos.min():.5f}")
    if device == "cuda":
        print(f"goal >= 10,000 passages/s: {'met' if rate >= 10_000 else 'NOT met'}")


if __name__ == "__main__":
    main()
