"""Calibrate the result-set rule (index/query/relevance.py) on the eval sets and on nonsense.

Issue 15: a query with nothing relevant must say "no results", while the answers of real
queries stay in the result set. This records, for every query, the signals of its fused
pool (floor=False, as the eval ranks): each candidate's cosine, raw BM25, per-term BM25,
language and documents, and whether the answer is there. Then it scores result-set rules
on those records without searching again:

- nonsense (benchmarks/data/nonsense_queries.jsonl, on the shipped index and one eval
  index): share of queries whose result set is empty, per kind and language;
- dev queries of each eval set on its own index: share whose answer, when the unfiltered
  ranking holds it (top 100 documents), is still in the result set; the share with every
  such answer kept (ntrex-xling: both the Persian and the Chinese one); nDCG@10 of the kept
  ranking against the unfiltered one.

    python benchmarks/calibrate_relevance.py                 # collect what is missing, report
    python benchmarks/calibrate_relevance.py --generate      # rewrite the nonsense set

Records are cached under var/relevance/ (delete them after a ranking change).
"""

from __future__ import annotations

import argparse
from functools import partial
import itertools
import json
import os
import pickle
import random
import string
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from index.evaluation.beir import load_beir  # noqa: E402
from index.evaluation.metrics import DEPTH, ndcg_at  # noqa: E402
from index.model.tokens import default_token_counter  # noqa: E402
from index.query.bm25 import Bm25  # noqa: E402
from index.query.fusion import FusionParams  # noqa: E402
from index.query.relevance import (RelevanceParams, idf_coverage,  # noqa: E402
                                   letters_per_token, query_language, relevant)
from index.query.results import relevance_floor  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MAIN = Path("/work/main")
EVAL_DATA = MAIN.parent / "shared" / "eval"
SETS = ("cmrc-zh", "ntrex-xling", "parsinlu-fa", "stard-zh", "stard-xling")
NONSENSE = REPO / "benchmarks" / "data" / "nonsense_queries.jsonl"
CACHE = REPO / "var" / "relevance"


# --- the nonsense set: seeded, so --generate rewrites the same file ---

OFFTOPIC = {
    "en": """chocolate cake recipe | how to bake sourdough bread | best pizza dough hydration |
    world cup final score | who won the champions league | premier league transfer rumours |
    how far is the andromeda galaxy | black hole event horizon size | next solar eclipse date |
    taylor swift new album tracklist | best k-pop songs this year | guitar chords for wonderwall |
    zelda tears of the kingdom walkthrough | minecraft redstone tutorial | best gaming laptop under 1000 |
    python list comprehension syntax | how to reverse a linked list in java | rust borrow checker error |
    cheap flights to paris | how to train a puppy to sit | best hiking boots for winter |
    how to grow tomatoes on a balcony | marathon training plan for beginners | nba playoffs bracket |
    iphone battery draining fast | how to remove red wine stains | vegan lasagna with spinach |
    mars rover latest photos | how many moons does jupiter have | dinosaur extinction asteroid |
    harry potter spell list | star wars movies in order | netflix shows like stranger things |
    how to knit a scarf | chess opening for beginners | tennis grand slam winners |
    volcano eruption iceland | sushi rice vinegar ratio | espresso machine descaling |
    how to tie a bowtie | bitcoin price prediction | learn javascript promises |
    formula one race calendar | best beaches in thailand | how do rainbows form""",
    "zh": """巧克力蛋糕的做法 | 红烧肉怎么做好吃 | 饺子馅的调配方法 | 世界杯决赛比分 | 梅西进了几个球 |
    中超联赛积分榜 | 仙女座星系有多远 | 黑洞是怎么形成的 | 下一次日全食是什么时候 | 周杰伦新专辑歌单 |
    流行歌曲排行榜 | 吉他和弦入门教程 | 原神角色培养攻略 | 王者荣耀出装推荐 | 游戏笔记本电脑推荐 |
    Python列表推导式语法 | 如何用Java反转链表 | 前端框架哪个好学 | 去巴黎的便宜机票 | 怎么训练小狗坐下 |
    阳台上怎么种番茄 | 马拉松训练计划 | NBA季后赛对阵 | 手机电池耗电太快 | 红酒渍怎么洗掉 |
    火星车最新照片 | 木星有多少颗卫星 | 恐龙灭绝的原因 | 哈利波特咒语大全 | 星球大战观看顺序 |
    好看的科幻电视剧推荐 | 怎么织围巾 | 国际象棋开局技巧 | 网球大满贯冠军 | 冰岛火山喷发 |
    寿司醋的比例 | 咖啡机除垢方法 | 比特币价格走势 | 一级方程式赛程 | 泰国最美的海滩 |
    彩虹是怎么形成的 | 熊猫吃什么竹子 | 火锅底料推荐 | 奶茶店排行榜 | 钢琴考级曲目""",
    "fa": """طرز تهیه کیک شکلاتی | دستور پخت قورمه سبزی | بهترین رستوران تهران | نتیجه فینال جام جهانی |
    چه کسی لیگ قهرمانان را برد | جدول لیگ برتر فوتبال | فاصله کهکشان آندرومدا | سیاه چاله چگونه تشکیل می‌شود |
    زمان خورشیدگرفتگی بعدی | آلبوم جدید خواننده پاپ | آکورد گیتار برای مبتدیان | بهترین بازی‌های کامپیوتری |
    راهنمای بازی ماینکرافت | لپ تاپ گیمینگ ارزان | آموزش برنامه نویسی پایتون | خطای کامپایل در جاوا |
    بلیط ارزان به استانبول | آموزش نشستن به سگ | کاشت گوجه فرنگی در بالکن | برنامه تمرین دوی ماراتن |
    باتری گوشی زود تمام می‌شود | پاک کردن لکه چای از فرش | عکس‌های جدید مریخ نورد | مشتری چند قمر دارد |
    علت انقراض دایناسورها | فیلم‌های هری پاتر به ترتیب | سریال‌های علمی تخیلی | آموزش بافتن شال گردن |
    شروع بازی شطرنج | قهرمانان تنیس | فوران آتشفشان در ایسلند | طرز تهیه سوشی | تمیز کردن دستگاه اسپرسو |
    قیمت بیت کوین | مسابقات فرمول یک | زیباترین سواحل تایلند | رنگین کمان چگونه به وجود می‌آید |
    طرز تهیه کباب کوبیده | بهترین کافه‌های اصفهان | گل زدن پرسپولیس و استقلال | ستاره‌های دنباله دار |
    آموزش گیتار الکتریک | نقشه بازی کالاف دیوتی"""}
KEYBOARD_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
HAN_RANGE = (0x4E00, 0x9FA5)
FA_LETTERS = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
FA_DIGITS = "۰۱۲۳۴۵۶۷۸۹"


def random_latin(rng):
    if rng.random() < 0.3:  # a repeated-letter string like "zzzzqqqxxx"
        return "".join(c * rng.randint(2, 4) for c in rng.sample(string.ascii_lowercase, 3))
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 16)))


def keyboard_mash(rng):
    row = rng.choice(KEYBOARD_ROWS)
    start = rng.randrange(len(row) - 3)
    words = ["".join(rng.choice(row[start:start + 5]) for _ in range(rng.randint(4, 9)))
             for _ in range(rng.randint(1, 3))]
    return " ".join(words)


def random_han(rng):
    return "".join(chr(rng.randint(*HAN_RANGE)) for _ in range(rng.randint(3, 10)))


def random_persian(rng):
    return " ".join("".join(rng.choice(FA_LETTERS) for _ in range(rng.randint(3, 7)))
                    for _ in range(rng.randint(1, 3)))


def digits(rng):
    s = "".join(rng.choice(string.digits) for _ in range(rng.randint(3, 12)))
    return s.translate(str.maketrans(string.digits, FA_DIGITS)) if rng.random() < 0.3 else s


def generate(seed: int = 15):
    rng = random.Random(seed)
    out = []
    for kind, lang, make, n in [("random-latin", "en", random_latin, 40),
                                ("keyboard-mash", "en", keyboard_mash, 30),
                                ("random-han", "zh", random_han, 40),
                                ("random-persian", "fa", random_persian, 40),
                                ("digits", "und", digits, 20)]:
        out += [{"text": make(rng), "lang": lang, "kind": kind} for _ in range(n)]
    for lang, block in OFFTOPIC.items():
        out += [{"text": t.strip(), "lang": lang, "kind": "off-topic"} for t in block.split("|")]
    return out


@dataclass
class Record:
    """One query's fused pool, in rank order, with what the rule and the metrics need."""

    text: str
    lang: str
    kind: str
    dense: np.ndarray  # cosine per candidate
    lexical: np.ndarray  # raw BM25 per candidate (0: no query term)
    term_bm25: np.ndarray  # [terms, candidates]: BM25 of each query term alone
    term_docs: np.ndarray  # [terms]: passages holding the term
    n_passages: int
    langs: list[str]
    docs: list[list[str]]  # the candidate's document, then its collapsed duplicates'
    rel: dict[str, int]


def collect(index_dir: Path, queries: list[dict], embedder) -> list[Record]:
    """Search every query once (floor off) and keep its pool's signals.

    The query's own terms only (crosslingual=False), as when the rule was calibrated:
    the recorded per-term BM25 and coverage are of those terms."""
    from index.query.request import SearchRequest
    from index.query.search import Searcher
    from index.storage.generation import load_generation

    gen = load_generation(index_dir, model_id=embedder.model_id, dim=embedder.dim)
    searcher, bm25 = Searcher(gen, embedder, crosslingual=False), Bm25(gen.store)
    searcher.prime_queries([q["text"] for q in queries])
    n = max(gen.store.stats_passages(), 1)
    out = []
    for q in queries:
        plan = searcher.plan(q["text"])  # terms: lexical.query_terms; their term_docs
        pool = searcher.result_set(SearchRequest(q=q["text"]), plan, depth=DEPTH * 2,
                                   floor=False)
        terms, df = plan.terms, plan.term_docs
        ids = [c.id for c in pool]
        per_term = [bm25.scores((t,), ids, df) for t in terms]
        out.append(Record(
            q["text"], q["lang"], q.get("kind", "dev"),
            np.array([c.dense for c in pool]), np.array([c.lexical for c in pool]),
            np.array([[s.get(i, 0.0) for i in ids] for s in per_term]).reshape(len(terms), -1),
            np.array([df.get(t, 0) for t in terms]), n,
            [c.row.get("language") or "und" for c in pool],
            [[c.row["doc_id"], *(a["doc_id"] for a in c.also_in)] for c in pool],
            q.get("rel", {})))
    gen.close()
    return out


def cached(name: str, index_dir: Path, queries: list[dict], embedder) -> list[Record] | None:
    path = CACHE / f"{name}.pkl"
    if path.is_file():  # plain dicts: a pickled class would be __main__'s when run as a script
        return [Record(**fields) for fields in pickle.loads(path.read_bytes())]
    if not (index_dir / "CURRENT").is_file():
        print(f"skip {name}: {index_dir} has no generation yet", file=sys.stderr)
        return None
    records = collect(index_dir, queries, embedder)
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps([vars(r) for r in records]))
    return records


def dev_queries(name: str) -> list[dict]:
    beir = load_beir(EVAL_DATA / name)
    return [{"text": q["text"], "lang": q.get("lang") or "und", "rel": beir.qrels[qid]}
            for qid, q in beir.queries.items()]


def known_answers() -> list[dict]:
    """The shipped corpus's known answers (corpus/known_answers.jsonl) as dev queries."""
    items = [json.loads(x) for x in (MAIN / "corpus" / "known_answers.jsonl")
             .read_text("utf-8").splitlines() if x.strip()]
    return [{"text": i["query"], "lang": i["lang"],
             "rel": dict.fromkeys([i["expected_doc"], *i.get("also_ok", [])], 1)}
            for i in items]


def coverage(rec: Record) -> np.ndarray:
    return idf_coverage(rec.term_bm25 > 0, rec.term_docs.astype(np.float64), rec.n_passages)


def result_set(rec: Record, params: RelevanceParams, margin: bool = False) -> np.ndarray:
    """The rule; with `margin`, also Searcher's per-language margin (relevance_floor) with
    its lexical escape replaced by the rule's coverage: the wiring proposed for Searcher."""
    cov = coverage(rec)
    keep = relevant(rec.dense, cov, rec.langs, query_language(rec.text), params,
                    letters_per_token(rec.text, default_token_counter()))
    if margin:
        near = relevance_floor(rec.dense, np.zeros(len(rec.dense)), rec.langs, FusionParams())
        keep &= near | (cov >= params.min_coverage)
    return keep


def ranked(rec: Record, keep: np.ndarray) -> list[str]:
    seen: dict[str, None] = {}
    for j in np.flatnonzero(keep):
        for d in rec.docs[j]:
            seen.setdefault(d, None)
    return list(seen)[:DEPTH]


def score_dev(records: list[Record], params: RelevanceParams,
              margin: bool = False) -> dict[str, float]:
    """Answers kept (any / all that the unfiltered top 100 holds) and nDCG@10 before/after."""
    have = any_kept = all_kept = 0
    before, after, sizes = [], [], []
    for rec in records:
        keep = result_set(rec, params, margin)
        sizes.append(int(keep.sum()))
        full, kept = ranked(rec, np.ones(len(rec.docs), bool)), ranked(rec, keep)
        answers = {d for d, g in rec.rel.items() if g > 0} & set(full)
        if answers:
            have += 1
            any_kept += bool(answers & set(kept))
            all_kept += answers <= set(kept)
        before.append(ndcg_at(full, rec.rel, 10))
        after.append(ndcg_at(kept, rec.rel, 10))
    return {"queries": len(records), "answerable": have,
            "kept_any": 100 * any_kept / max(have, 1), "kept_all": 100 * all_kept / max(have, 1),
            "ndcg_before": float(np.mean(before)), "ndcg_after": float(np.mean(after)),
            "size": float(np.median(sizes))}


def score_nonsense(records: list[Record], params: RelevanceParams) -> dict[str, float]:
    """Share of queries with an empty result set: all, and per kind/language."""
    groups: dict[str, list[bool]] = {"all": [], "all but off-topic": []}
    for rec in records:
        empty = not result_set(rec, params).any()
        keys = ["all", f"{rec.kind}/{rec.lang}"] + ["all but off-topic"] * (rec.kind != "off-topic")
        for key in keys:
            groups.setdefault(key, []).append(empty)
    return {k: 100 * float(np.mean(v)) for k, v in sorted(groups.items())}


def load_all(embedder_factory) -> tuple[dict[str, list[Record]], dict[str, list[Record]]]:
    """Dev records per eval set and nonsense records per index (cached, else collected)."""
    embedder = None

    def get(name: str, index_dir: Path, queries) -> list[Record] | None:
        nonlocal embedder
        if not (CACHE / f"{name}.pkl").is_file() and embedder is None:
            embedder = embedder_factory()
        return cached(name, index_dir, queries(), embedder)

    def nonsense() -> list[dict]:
        return [json.loads(x) for x in NONSENSE.read_text("utf-8").splitlines() if x]

    dev, junk = {}, {}
    for name in SETS:
        if (recs := get(name, MAIN / "var" / "eval" / name, partial(dev_queries, name))):
            dev[name] = recs
    if (recs := get("known@corpus", MAIN / "var" / "index", known_answers)):
        dev["known@corpus"] = recs
    for name, index_dir in [("corpus", MAIN / "var" / "index"),
                            ("ntrex-xling", MAIN / "var" / "eval" / "ntrex-xling"),
                            ("cmrc-zh", MAIN / "var" / "eval" / "cmrc-zh")]:
        if (recs := get(f"nonsense@{name}", index_dir, nonsense)):
            junk[name] = recs
    return dev, junk


def nonword_shares(dev, junk, params: RelevanceParams) -> None:
    """Share of queries the non-word test flags: nonsense per kind, dev queries per set."""
    count = default_token_counter()

    def flagged(rec: Record) -> bool:
        limit = params.max_letters_nonword.get(query_language(rec.text), 0.0)
        return letters_per_token(rec.text, count) <= limit

    groups: dict[str, list[bool]] = {}
    for rec in next(iter(junk.values()), []):
        groups.setdefault(f"nonsense {rec.kind}", []).append(flagged(rec))
    for name, recs in dev.items():
        groups[name] = [flagged(rec) for rec in recs]
    print("non-word test, % flagged: " + ", ".join(
        f"{k} {100 * np.mean(v):.1f}" for k, v in groups.items()))


def report(dev, junk, params: RelevanceParams) -> None:
    print(f"params: {params}")
    nonword_shares(dev, junk, params)
    print(f"{'set':<14}{'rule':<8}{'queries':>8}{'answ.':>7}{'kept any%':>10}{'kept all%':>10}"
          f"{'nDCG before':>12}{'after':>8}{'delta':>8}{'size p50':>9}")
    for name, recs in dev.items():
        for margin in (False, True):
            s = score_dev(recs, params, margin)
            print(f"{name:<14}{'+margin' if margin else 'rule':<8}{s['queries']:>8}"
                  f"{s['answerable']:>7}{s['kept_any']:>10.1f}{s['kept_all']:>10.1f}"
                  f"{s['ndcg_before']:>12.4f}{s['ndcg_after']:>8.4f}"
                  f"{s['ndcg_after'] - s['ndcg_before']:>+8.4f}{s['size']:>9.0f}")
    for name, recs in junk.items():
        print(f"nonsense on {name}: % empty result set")
        for key, share in score_nonsense(recs, params).items():
            print(f"  {key:<22}{share:6.1f}")


def grid(dev, junk) -> None:
    """Answers kept and nonsense emptied for a small grid around the chosen constants
    (answers only, no nDCG: the rule only removes, so nDCG moves with the answers lost)."""
    count = default_token_counter()
    prepared = {name: [(rec, coverage(rec), query_language(rec.text),
                        [j for j, ds in enumerate(rec.docs) if set(ds) & set(rec.rel)],
                        letters_per_token(rec.text, count))
                       for rec in recs] for name, recs in {**dev, **{
                           f"nonsense@{k}": v for k, v in junk.items()}}.items()}
    print("zh    fa    x-en  drop  cov  lpt  " + " ".join(f"{n[:14]:>14}" for n in prepared))
    for zh, enfa, cross, drop, cov, lpt in itertools.product(
            (0.88, 0.89), (0.82, 0.83, 0.85), (0.80, 0.81), (0.06,),
            (0.3, 0.4), (0.0, 2.0)):
        params = RelevanceParams({"zh": zh, "en": 0.85, "fa": enfa},
                                 {"zh": 0.84, "en": cross, "fa": cross}, drop, cov,
                                 {"en": lpt, "fa": lpt - 0.25 if lpt else 0.0})
        cells = []
        for name, items in prepared.items():
            keeps = [(relevant(r.dense, c, r.langs, q, params, n), a, r)
                     for r, c, q, a, n in items]
            if name.startswith("nonsense@"):
                # On an eval index (Wikipedia, news), off-topic is in-domain: random kinds only.
                use = [k for k, _, r in keeps if name == "nonsense@corpus" or r.kind != "off-topic"]
                cells.append(100 * np.mean([not k.any() for k in use]))
            else:
                cells.append(100 * np.mean([k[a].any() for k, a, _ in keeps if a]))
        print(f"{zh:<6}{enfa:<6}{cross:<6}{drop:<6}{cov:<5}{lpt:<5}" + " ".join(f"{c:>14.1f}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generate", action="store_true", help="rewrite the nonsense set")
    parser.add_argument("--grid", action="store_true", help="also scan constants nearby")
    args = parser.parse_args()
    if args.generate:
        NONSENSE.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n"
                                    for q in generate()), encoding="utf-8")
        return
    from index.model.embed import Embedder

    dev, junk = load_all(Embedder)
    if args.grid:
        grid(dev, junk)
    report(dev, junk, RelevanceParams())


if __name__ == "__main__":
    main()
