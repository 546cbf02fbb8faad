"""Terminal rendering of hits: the clause with its matched terms highlighted."""

from __future__ import annotations

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


def print_hit(rank: int, hit: dict[str, Any]) -> None:
    """Title line, heading path, then the clause with highlights and the scores."""
    path = " > ".join(hit["heading_path"])
    click.secho(f"{rank}. [{hit['language']}] {hit['title']}" + (f" — {path}" if path else ""),
                bold=True)
    cstart, cend = hit["clause"]["start"], hit["clause"]["end"]
    spans = [[s - cstart, e - cstart] for s, e in hit["highlights"] if s >= cstart and e <= cend]
    click.echo("   " + highlighted(hit["text"][cstart:cend], spans).replace("\n", "\n   "))
    sc = hit["scores"]
    extra = f"  also in: {', '.join(a['title'] for a in hit['also_in'])}" if hit["also_in"] else ""
    click.secho(f"   fused {sc['fused']:.3f}  dense {sc['dense']:.3f}  lexical {sc['lexical']:.2f}"
                f"  #{hit['passage_id']}{extra}", dim=True)
