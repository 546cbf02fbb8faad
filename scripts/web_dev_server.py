"""Dev-only stub server: serves web/ and canned API JSON, to work on the page without an index.

Run: python scripts/web_dev_server.py --port 8765, then open http://127.0.0.1:8765/.
Not used by the tests (they run the real app). The toy search matches words (Chinese: 2-grams)
literally. Queries "error" (500 with a JSON detail) and "slow" (1.5 s delay) exercise the page.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

WEB = Path(__file__).resolve().parent.parent / "web"

DOCS = [
    {
        "id": "en-pensions", "title": "Building multi-pillar pension systems", "language": "en",
        "doc_type": "report", "issuer": "Ministry of Labour", "published": "2021-05-10",
        "topics": ["pensions"],
        "text": "Building multi-pillar pension systems\n\nChapter 1 Principles\n\n"
        "Article 1 A multi-pillar pension system combines a basic public pension, occupational "
        "pensions and private savings. Each pillar spreads a different risk. The basic pillar "
        "prevents poverty in old age.\n\n"
        "Article 2 The supervision of the pension fund shall be carried out by an independent "
        "authority. The authority publishes an annual report on investment returns.\n\n"
        "Chapter 2 Coverage\n\n" + "\n\n".join(
            f"Article {n} Coverage of workers in flexible employment shall be extended step by "
            f"step; provinces report progress every year (item {n})." for n in range(3, 30)),
    },
    {
        "id": "zh-fund", "title": "社会保险基金监督条例", "language": "zh", "doc_type": "regulation",
        "issuer": "国务院", "published": "2023-01-01", "topics": ["pensions", "supervision"],
        "text": "社会保险基金监督条例\n\n第一章 总则\n\n第一条 为了加强社会保险基金监督管理，保障基金安全，"
        "根据社会保险法，制定本条例。\n\n第二条 养老保险基金监管应当坚持依法监督、安全第一的原则。"
        "县级以上人民政府社会保险行政部门负责养老保险基金监管工作。\n\n"
        "第三条 多层次养老保险体系包括基本养老保险、企业年金和个人储蓄。",
    },
    {
        "id": "fa-fund", "title": "آیین‌نامه نظارت بر صندوق‌های بازنشستگی", "language": "fa",
        "doc_type": "regulation", "issuer": "وزارت تعاون، کار و رفاه اجتماعی",
        "published": "2020-03-01", "topics": ["supervision"],
        "text": "آیین‌نامه نظارت بر صندوق‌های بازنشستگی\n\nفصل اول کلیات\n\n"
        "ماده ۱ نظارت بر صندوق بازنشستگی بر عهده سازمان مستقل نظارت است. این سازمان هر سال "
        "گزارش بازده سرمایه‌گذاری را منتشر می‌کند.\n\nماده ۲ نظام بازنشستگی چندلایه شامل "
        "مستمری پایه عمومی، بازنشستگی شغلی و پس‌انداز خصوصی است.",
    },
    {
        "id": "xss", "title": "Notice <script>alert(1)</script> on \u202eevil\u202c payments",
        "language": "en", "doc_type": "notice", "issuer": "Test <b>issuer</b>",
        "published": "2024-02-02", "topics": ["security"],
        "text": "Notice on payments\n\nThe sentence <script>alert(1)</script> and "
        "<img src=x onerror=alert(1)> must show literally in the 💶 payments notice. "
        "A \u202eright-to-left override\u202c must not flip the page.",
    },
]

# Same clause in other languages: (doc, passage index) groups.
PARALLEL_GROUPS = [[("en-pensions", 2), ("zh-fund", 4), ("fa-fund", 3)],
                   [("en-pensions", 3), ("zh-fund", 3), ("fa-fund", 2)]]


def _passages(doc: dict) -> list[dict]:
    out, pos = [], 0
    for chunk in doc["text"].split("\n\n"):
        start = doc["text"].index(chunk, pos)
        pos = start + len(chunk)
        out.append({"start": start, "end": pos, "text": chunk})
    return out


PASSAGES: list[dict] = []
for _doc in DOCS:
    _doc["passages"] = []
    for _i, _p in enumerate(_passages(_doc)):
        pid = len(PASSAGES) + 1
        PASSAGES.append({**_p, "id": pid, "doc": _doc, "index": _i})
        _doc["passages"].append({"id": pid, "start": _p["start"], "end": _p["end"]})
BY_KEY = {(p["doc"]["id"], p["index"]): p for p in PASSAGES}


def _terms(q: str) -> list[str]:
    terms = []
    for word in q.lower().split():
        if re.search(r"[\u4e00-\u9fff]", word):
            terms += [word[i:i + 2] for i in range(max(1, len(word) - 1))]
        elif len(word) > 2 or re.search(r"[\u0600-\u06ff]", word):
            terms.append(word)
    return terms


def _match(p: dict, terms: list[str]) -> list[list[int]]:
    text = p["text"].lower()
    spans = []
    for t in terms:
        spans += [[m.start(), m.end()] for m in re.finditer(re.escape(t), text)]
    return sorted(spans)


def _clause(text: str, at: int) -> dict:
    start = max(text.rfind(c, 0, at) for c in ".。؟\n") + 1
    ends = [i for i in (text.find(c, at) for c in ".。؟\n") if i >= 0]
    return {"start": start, "end": (min(ends) + 1) if ends else len(text)}


def _parallels(p: dict) -> list[dict]:
    for group in PARALLEL_GROUPS:
        if (p["doc"]["id"], p["index"]) in group:
            return [_brief(BY_KEY[k]) for k in group if k != (p["doc"]["id"], p["index"])]
    return []


def _brief(p: dict) -> dict:
    d = p["doc"]
    return {"passage_id": p["id"], "doc_id": d["id"], "title": d["title"],
            "language": d["language"], "text": p["text"]}


def _hit(p: dict, spans: list[list[int]]) -> dict:
    d = p["doc"]
    return {"passage_id": p["id"], "doc_id": d["id"], "title": d["title"],
            "heading_path": [d["title"], p["text"][:12]], "language": d["language"],
            "doc_type": d["doc_type"], "issuer": d["issuer"], "published": d["published"],
            "topics": d["topics"], "text": p["text"], "start": p["start"], "end": p["end"],
            "clause": _clause(p["text"], spans[0][0]), "highlights": spans,
            "prev_id": p["id"] - 1, "next_id": p["id"] + 1, "parallels": _parallels(p),
            "also_in": [], "scores": {"dense": 0.8, "lexical": float(len(spans)),
                                      "fused": 0.03 * len(spans)}}


def _keep(d: dict, qs: dict) -> bool:
    one = {k: v[0] for k, v in qs.items()}
    return ((not qs.get("lang") or d["language"] in qs["lang"])
            and one.get("doc", d["id"]) == d["id"]
            and one.get("type", d["doc_type"]) == d["doc_type"]
            and one.get("issuer", d["issuer"]) == d["issuer"]
            and (not one.get("topic") or one["topic"] in d["topics"])
            and one.get("date_from", "") <= d["published"] <= one.get("date_to", "9999"))


def search(qs: dict) -> tuple[int, dict]:
    q = qs.get("q", [""])[0]
    if not q.strip():
        return 422, {"detail": "q must not be empty"}
    if q == "error":
        return 500, {"detail": "index is being rebuilt; try again in a minute"}
    if q == "slow":
        time.sleep(1.5)
    k, offset = int(qs.get("k", ["10"])[0]), int(qs.get("offset", ["0"])[0])
    found = [(p, s) for p in PASSAGES if _keep(p["doc"], qs) and (s := _match(p, _terms(q)))]
    found.sort(key=lambda ps: -len(ps[1]))
    facets: dict[str, dict] = {"language": {}, "doc_type": {}, "issuer": {}, "doc": {}, "topic": {}}
    for p, _ in found:
        d = p["doc"]
        for name, value in [("language", d["language"]), ("doc_type", d["doc_type"]),
                            ("issuer", d["issuer"]), ("doc", d["id"])] + [
                                ("topic", t) for t in d["topics"]]:
            facets[name][value] = facets[name].get(value, 0) + 1
    hits = [_hit(p, s) for p, s in found[offset:offset + k]]
    return 200, {"query": q, "total": len(found), "offset": offset, "k": k, "took_ms": 3,
                 "generation": 1, "hits": hits, "facets": facets}


def route(path: str, qs: dict) -> tuple[int, object]:
    if path == "/api/search":
        return search(qs)
    if path == "/api/health":
        return 200, {"status": "ok", "documents": len(DOCS), "passages": len(PASSAGES)}
    if path == "/api/documents":
        docs = [{k: v for k, v in d.items() if k not in ("text", "passages")} for d in DOCS]
        return 200, {"count": len(docs), "documents": docs}
    if path.startswith("/api/documents/"):
        doc = next((d for d in DOCS if d["id"] == unquote(path.rsplit("/", 1)[1])), None)
        return (200, doc) if doc else (404, {"detail": "no such document"})
    if path.startswith("/api/passages/"):
        pid = int(path.rsplit("/", 1)[1])
        if not 0 < pid <= len(PASSAGES):
            return 404, {"detail": "no such passage"}
        p = PASSAGES[pid - 1]
        return 200, {**_brief(p), "start": p["start"], "end": p["end"],
                     "parallels": _parallels(p)}
    return 404, {"detail": "Not Found"}


class Handler(SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(WEB), **kwargs)

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path.startswith("/api/"):
            status, body = route(url.path, parse_qs(url.query))
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if url.path == "/":
            self.path = "/index.html"
        elif url.path.startswith("/static/"):
            self.path = url.path[len("/static"):]
        super().do_GET()

    def log_message(self, *args) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1")
    args = parser.parse_args()
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
