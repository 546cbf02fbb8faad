"""Ranking metrics: nDCG@10, Recall@100 and MRR@10, averaged per mode and language."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

DEPTH = 100


@dataclass
class Scores:
    ndcg10: list[float] = field(default_factory=list)
    recall100: list[float] = field(default_factory=list)
    mrr10: list[float] = field(default_factory=list)

    def add(self, ranked: list[str], rel: dict[str, int]) -> None:
        self.ndcg10.append(ndcg_at(ranked, rel, 10))
        self.recall100.append(recall_at(ranked, rel, DEPTH))
        self.mrr10.append(mrr_at(ranked, rel, 10))

    def summary(self) -> dict[str, float]:
        def mean(xs: list[float]) -> float:
            return round(sum(xs) / len(xs), 4) if xs else 0.0

        return {"nDCG@10": mean(self.ndcg10), "R@100": mean(self.recall100),
                "MRR@10": mean(self.mrr10), "queries": len(self.ndcg10)}


def ndcg_at(ranked: list[str], rel: dict[str, int], k: int) -> float:
    dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(rel.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked: list[str], rel: dict[str, int], k: int) -> float:
    relevant = {d for d, g in rel.items() if g > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr_at(ranked: list[str], rel: dict[str, int], k: int) -> float:
    for i, d in enumerate(ranked[:k]):
        if rel.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0
