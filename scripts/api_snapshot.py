"""Record the API's answers to a fixed list of requests, or compare them with a recording.

Why: a restructuring must not change behaviour. This drives the real app (lifespan, model,
index) through HTTP and writes every response with its timings removed, so two checkouts
can be compared byte for byte:

    python scripts/api_snapshot.py --index var/index --out var/measure/api-before.json
    (change the code)
    python scripts/api_snapshot.py --index var/index --compare var/measure/api-before.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a plain script from a checkout, installed or not
os.environ.setdefault("HF_HUB_OFFLINE", "1")

QUERIES = [
    "multi-pillar pensions", "养老保险基金监管", "نظارت بر صندوق", "哪些情形应当认定为工伤",
    "失业保险金最长可以领取多长时间", "conditions for receiving unemployment insurance benefits",
    "long-term care insurance", "بیمه بیکاری", "住房公积金提取", "zzzzqqqxxx",
    "social security fund investment", "医疗保障基金使用监督", "پوشش همگانی بیمه",
]
FILTERED = [
    {"q": "pension fund", "lang": ["zh"]}, {"q": "pension fund", "type": ["law"]},
    {"q": "工伤", "topic": ["work-injury"], "k": 5}, {"q": "养老", "offset": 10, "k": 10},
    {"q": "保险", "date_from": "2015-01-01", "date_to": "2020-12-31"},
]
TIMING_KEYS = {"took_ms"}


def requests_to_make() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, params or body) in a fixed order."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    for q in QUERIES:
        out.append(("GET", "/api/search", {"q": q, "k": 10}))
        out.append(("POST", "/api/search", {"q": q, "k": 3}))
    for body in FILTERED:
        out.append(("POST", "/api/search", body))
    out += [("GET", "/api/documents", {}), ("GET", "/api/stats", {}),
            ("GET", "/api/health", {}), ("GET", "/api/passages/5", {}),
            ("GET", "/api/passages/999999", {}), ("GET", "/api/search", {"q": ""}),
            ("POST", "/api/search", {"q": "x", "k": 1000})]
    return out


def strip_timings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_timings(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [strip_timings(v) for v in value]
    return value


def record(index_dir: Path) -> list[dict[str, Any]]:
    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.settings import Settings

    settings = Settings(index_dir=index_dir, search_rate_per_minute=100_000,
                        search_burst=10_000)
    answers = []
    with TestClient(create_app(settings)) as client:
        docs = client.get("/api/documents").json()["documents"]
        extra = [("GET", f"/api/documents/{docs[0]['id']}", {})] if docs else []
        for method, path, data in requests_to_make() + extra:
            if method == "GET":
                r = client.get(path, params=data)
            else:
                r = client.post(path, json=data)
            answers.append({"request": [method, path, data], "status": r.status_code,
                            "body": strip_timings(r.json())})
    return answers


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, default=Path("var/index"))
    ap.add_argument("--out", type=Path, help="write the recording here")
    ap.add_argument("--compare", type=Path, help="compare with this recording")
    args = ap.parse_args()
    answers = record(args.index)
    text = json.dumps(answers, ensure_ascii=False, indent=1, sort_keys=True)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"recorded {len(answers)} responses to {args.out}")
    if args.compare:
        before = json.loads(args.compare.read_text(encoding="utf-8"))
        differ = [a["request"] for a, b in zip(answers, before) if a != b]
        if len(before) != len(answers):
            differ.append(["count", len(before), len(answers)])
        print(f"{len(answers) - len(differ)} of {len(answers)} responses identical")
        for req in differ:
            print("  differs:", json.dumps(req, ensure_ascii=False))
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
