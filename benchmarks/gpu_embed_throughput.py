"""GPU embedding throughput of the product's Embedder against plain SentenceTransformer.encode.

Usage: python benchmarks/gpu_embed_throughput.py --skeleton DIR [--n 65536] [--tokens 128]
       python benchmarks/gpu_embed_throughput.py --cpu-smoke     # tiny run on CPU
       python benchmarks/gpu_embed_throughput.py --write-skeleton DIR   # here, to carry

A model folder on a GPU machine may not be at hand (the converted e5-small is 470 MB), and
throughput does not depend on the weights: `--skeleton` is the converted folder without
`model.safetensors` (config, tokenizer, pooling), and the script fills it with random
weights of the same architecture. Passages are ~--tokens tokens of random windows over
corpus/ text and en/fa sentences. Timed, on the same passages:
  tokenise only; plain `SentenceTransformer.encode` (fp16, batch --st-batch);
  `Embedder.encode_passages` (index/encode_pipeline.py: a thread tokenises while the GPU
  runs big length-sorted batches, pinned memory, pooling on the GPU);
  `Embedder.encode_passages_with_spans` on texts sorted longest first, as the build calls it
  (sentence vectors by late chunking, ~1 span per 40 characters).
Goal: >= 10,000 passages/s end to end at ~128 tokens on one H100.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROMPT = "passage: "
EN = ("the employer shall pay contributions for every employee within thirty days of hiring "
      "insured persons who reach the statutory retirement age receive a monthly pension "
      "unemployment benefit may not be lower than the local minimum living standard").split()
FA = ("کارفرما موظف است حق بیمه کارگران را تا پایان ماه بعد به سازمان تأمین اجتماعی بپردازد "
      "بیمه‌شده پس از رسیدن به سن بازنشستگی مستمری ماهانه دریافت می‌کند و مقرری بیکاری").split()


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--skeleton", type=Path, help="model folder without weights (random fill)")
    p.add_argument("--write-skeleton", type=Path, help="copy the converted model minus weights")
    p.add_argument("--cpu-smoke", action="store_true", help="tiny fp32 run on CPU")
    p.add_argument("--n", type=int, help="passages (default 65536; smoke 96)")
    p.add_argument("--batch", type=int, help="Embedder batch size (default: its own)")
    p.add_argument("--st-batch", type=int, default=512, help="plain encode batch size")
    p.add_argument("--tokens", type=int, default=128, help="target tokens per passage")
    return p.parse_args()


def write_skeleton(dest: Path) -> None:
    from index.model.convert import ensure_default_model

    src = ensure_default_model()
    shutil.copytree(src, dest, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("model.safetensors", ".policykb-*"))
    print(f"wrote {dest} (no weights) from {src}")


def random_model(skeleton: Path, dest: Path) -> Path:
    """`skeleton` plus random weights of the architecture its config.json names."""
    import torch
    from transformers import AutoConfig, AutoModel

    shutil.copytree(skeleton, dest, dirs_exist_ok=True)
    torch.manual_seed(0)
    AutoModel.from_config(AutoConfig.from_pretrained(skeleton)).save_pretrained(dest)
    return dest


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


def timed(name: str, fn, n: int, tokens: float):
    import torch

    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    sync()
    started = time.perf_counter()
    result = fn()
    sync()
    seconds = time.perf_counter() - started
    print(f"{name:<44} {n / seconds:>9,.0f} passages/s {n * tokens / seconds:>11,.0f} tokens/s"
          f"  ({seconds:.2f} s)", flush=True)
    return result, n / seconds


def forward_only(emb, texts: list[str], tokens: float) -> None:
    """The ceiling: the model's forward passes and pooling on batches already on the device."""
    import torch

    pipe = emb._pipeline
    batches = [(b.ids.to(pipe.device), b.mask.to(pipe.device))
               for b in pipe._make_batches(texts, PROMPT, None, 0, len(texts))]
    torch.cuda.synchronize() if pipe.device.type == "cuda" else None
    started = time.perf_counter()
    with torch.inference_mode():
        for ids, mask in batches:
            features = emb._st[0]({"input_ids": ids, "attention_mask": mask})
            for module in list(emb._st)[1:]:
                features = module(features)
    torch.cuda.synchronize() if pipe.device.type == "cuda" else None
    seconds, n = time.perf_counter() - started, len(texts)
    print(f"{'forward + pooling only (pretokenised)':<44} {n / seconds:>9,.0f} passages/s "
          f"{n * tokens / seconds:>11,.0f} tokens/s  ({seconds:.2f} s)", flush=True)


def main() -> None:
    args = parse_args()
    if args.write_skeleton:
        write_skeleton(args.write_skeleton)
        return
    import torch

    from index.model.embed import Embedder

    if not args.cpu_smoke and not torch.cuda.is_available():
        sys.exit("no CUDA device: run with --cpu-smoke to check the script on CPU")
    device = "cpu" if args.cpu_smoke else "cuda"
    n = args.n or (96 if args.cpu_smoke else 65536)
    with tempfile.TemporaryDirectory() as tmp:
        skeleton = args.skeleton
        if skeleton is None:
            skeleton = Path(tmp) / "skeleton"
            write_skeleton(skeleton)
        folder = random_model(skeleton, Path(tmp) / "random")
        emb = Embedder(folder, device=device, batch_size=args.batch or (16 if args.cpu_smoke
                                                                          else None),
                       query_prompt="query: ", passage_prompt=PROMPT)
        st = emb._st
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_str(emb._pipeline.tokenizer.to_str())
        tokenizer.no_padding()  # the pipeline's pads each call; lengths here are real ones
        passages = make_passages(tokenizer, n, args.tokens)
        lengths = np.array([len(e.ids) for e in tokenizer.encode_batch(
            [PROMPT + t for t in passages])])
        mean_tokens = float(lengths.mean())
        name = torch.cuda.get_device_name() if device == "cuda" else "CPU"
        print(f"{name}, torch {torch.__version__}, {n} passages, {mean_tokens:.0f} tokens on "
              f"average, Embedder batch {emb.batch_size}, dtype {next(st.parameters()).dtype}")
        warm = passages[: min(n, 2 * emb.batch_size)]
        emb.encode_passages(warm)  # CUDA context, cuBLAS heuristics
        st.encode(warm[:64], prompt=PROMPT, batch_size=args.st_batch)
        timed("tokenise only (CPU, all threads)", lambda: tokenizer.encode_batch(passages), n,
              mean_tokens)
        plain, _ = timed(f"plain SentenceTransformer.encode, batch {args.st_batch}",
                         lambda: st.encode(passages, prompt=PROMPT, batch_size=args.st_batch,
                                           normalize_embeddings=True), n, mean_tokens)
        ours, rate = timed("Embedder.encode_passages",
                           lambda: emb.encode_passages(passages), n, mean_tokens)
        order = np.argsort(-lengths, kind="stable")  # the build sorts misses longest first
        by_length = [passages[i] for i in order]
        forward_only(emb, by_length, mean_tokens)
        spans = [[(s, min(len(t), s + 40)) for s in range(0, len(t), 40)] for t in by_length]
        (span_vecs, _), span_rate = timed(
            "Embedder.encode_passages_with_spans (build)",
            lambda: emb.encode_passages_with_spans(by_length, spans), n, mean_tokens)
    cos = (plain.astype(np.float32) * ours).sum(1)
    cos_spans = (ours[order] * span_vecs).sum(1)
    print(f"agreement plain vs Embedder: mean cosine {cos.mean():.5f}, min {cos.min():.5f}; "
          f"encode_passages vs with_spans: min {cos_spans.min():.5f}")
    if device == "cuda":
        best = max(rate, span_rate)
        print(f"goal >= 10,000 passages/s: {'met' if min(rate, span_rate) >= 10_000 else 'NOT met'}"
              f" (encode_passages {rate:,.0f}/s, with spans {span_rate:,.0f}/s, best {best:,.0f})")


if __name__ == "__main__":
    main()
