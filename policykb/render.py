"""Terminal rendering of hits (the clause with its matched terms highlighted) and status."""

from __future__ import annotations

import json
from typing import Any

import click


def highlighted(text: str, spans: list[list[int]]) -> str:
    """`text` with each [start, end) span in bold yellow (spans are code-point offsets)."""
    out, pos = [], 0
    for start, end in sorted(spans):
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(click.style(text[start:end], fg="yellow", bold=True))
        pos = end
    out.append(text[pos:])
    return "".join(out)


# Fused scores count the dense half in units of 0.1 cosine below the pool's best
# (index/fusion.py), so one relevance point is 0.001 of cosine, or the lexical bonus
# worth as much. A hit 0.1 of cosine below the best one has nothing left.
POINTS_PER_FUSED_UNIT = {"hybrid": 100.0, "dense": 1000.0}


def relevance(fused: float, best: float, mode: str = "hybrid") -> int:
    """0-100, 100 for the best hit: how far below the best a hit scores, in points.

    The raw fused score is a distance below the pool's best cosine plus a lexical bonus
    (0.000, -0.002, ... -0.094): true, but unreadable. Lexical mode has only BM25, so there
    the relevance is the share of the best BM25.
    """
    if mode == "lexical":
        return round(100 * fused / best) if best > 0 else 0
    gap = (best - fused) * POINTS_PER_FUSED_UNIT.get(mode, 100.0)
    return max(0, min(100, round(100 - gap)))


def matched_terms(hit: dict[str, Any]) -> list[str]:
    """The words the highlights mark, each once, in reading order."""
    seen = dict.fromkeys(hit["text"][s:e] for s, e in sorted(hit["highlights"]))
    return list(seen)


def print_hit(rank: int, hit: dict[str, Any], score: int | None = None,
              explain: bool = False) -> None:
    """Title line, heading path, the clause with highlights, then the relevance (and with
    `explain` the parts it is made of)."""
    path = " > ".join(hit["heading_path"])
    click.secho(f"{rank}. [{hit['language']}] {hit['title']}" + (f" — {path}" if path else ""),
                bold=True)
    cstart, cend = hit["clause"]["start"], hit["clause"]["end"]
    spans = [[s - cstart, e - cstart] for s, e in hit["highlights"] if s >= cstart and e <= cend]
    click.echo("   " + highlighted(hit["text"][cstart:cend], spans).replace("\n", "\n   "))
    sc = hit["scores"]
    extra = f"  also in: {', '.join(a['title'] for a in hit['also_in'])}" if hit["also_in"] else ""
    shown = f"relevance {score}/100  " if score is not None else ""
    click.secho(f"   {shown}#{hit['passage_id']}{extra}", dim=True)
    if explain:
        terms = ", ".join(matched_terms(hit)) or "none"
        click.secho(f"   dense cosine {sc['dense']:.3f}  BM25 {sc['lexical']:.2f}  "
                    f"fused {sc['fused']:+.3f}  matched: {terms}", dim=True)
        for tr in hit.get("translations", []):
            click.secho(f"   translated: {tr['source']} -> {tr['term']} ({tr['origin']}, "
                        f"weight {tr['weight']})", dim=True)


def print_status(info: dict[str, Any], as_json: bool) -> None:
    """`policykb status`: JSON, or one line per field and one indented line per entry."""
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    for key, value in info.items():
        if isinstance(value, dict):
            click.echo(f"{key}:")
            for k, v in value.items():
                click.echo(f"  {k}: {v}")
        else:
            click.echo(f"{key}: {value}")
