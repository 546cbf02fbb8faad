"""Regenerate corpus/manifest.json from the corpus files, so the metadata stays reproducible."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a plain script from a checkout, installed or not

from ingest.manifest import (  # noqa: E402
    MANIFEST_NAME,
    extract_metadata,
    is_metadata_file,
    manifest_entry,
)
from ingest.models import DocumentMeta  # noqa: E402

# Readable ASCII ids, keyed by file stem without its "(YYYY-MM-DD)" suffix. Ids are what
# evals and links refer to, so they must not change when a newer version of a law replaces
# the file. Files missing here get extract_metadata's hash id; add a row when you add a file.
IDS = {
    "000_639de790055a6b4a": "seed-000",
    "001_bdd64e7ba98b48f4": "seed-001",
    "002_f20845a9c9d224e9": "seed-002",
    "003_b175740d98c81cda": "seed-003",
    "004_8c3628527072065f": "seed-004",
    "社会保险法": "zh-social-insurance-law",
    "军人保险法": "zh-military-insurance-law",
    "劳动法": "zh-labour-law",
    "劳动合同法": "zh-labour-contract-law",
    "劳动争议调解仲裁法": "zh-labour-dispute-arbitration-law",
    "社会保险经办条例": "zh-social-insurance-handling-regulation",
    "社会保险费征缴暂行条例": "zh-contribution-collection-regulation",
    "医疗保障基金使用监督管理条例": "zh-medical-fund-supervision-regulation",
    "全国社会保障基金条例": "zh-national-social-security-fund-regulation",
    "工伤保险条例": "zh-work-injury-insurance-regulation",
    "失业保险条例": "zh-unemployment-insurance-regulation",
    "社会救助暂行办法": "zh-social-assistance-measures",
    "住房公积金管理条例": "zh-housing-provident-fund-regulation",
    "劳动保障监察条例": "zh-labour-security-inspection-regulation",
    "城市生活无着的流浪乞讨人员救助管理办法": "zh-homeless-assistance-measures",
    "女职工劳动保护特别规定": "zh-female-employee-protection-provisions",
    "上海市医疗保障条例": "sh-medical-security-regulation",
    "上海市社会救助条例": "sh-social-assistance-regulation",
    "北京市居家养老服务条例": "bj-home-elderly-care-regulation",
    "北京市推进京津冀社会保障卡一卡通规定": "bj-social-security-card-provisions",
    "广东省失业保险条例": "gd-unemployment-insurance-regulation",
    "浙江省医疗保障条例": "zj-medical-security-regulation",
    "浙江省工伤保险条例": "zj-work-injury-insurance-regulation",
    "浙江省社会养老服务促进条例": "zj-elderly-care-services-regulation",
    "浙江省职工基本养老保险条例": "zj-employee-pension-regulation",
}

# Titles the text does not give on its first line. Seed 002 opens with its author's byline
# ("Wang Xiaoping, minister ..."), so its title is built from that byline and the subject
# phrase the article itself uses ("توسعه یک نظام امنیت اجتماعی مشخصاً چینی").
TITLES = {
    "seed-002": "توسعه یک نظام امنیت اجتماعی مشخصاً چینی (وانگ ژیائوپینگ)",
}

_NAME_DATE = re.compile(r"\(\d{4}-\d{2}-\d{2}\)$")


def document_paths(corpus_dir: Path) -> list[Path]:
    """Every document file under the corpus folder, metadata files and dotfiles left out."""
    paths = []
    for path in sorted(corpus_dir.rglob("*")):
        relative = path.relative_to(corpus_dir).as_posix()
        hidden = any(part.startswith(".") for part in path.relative_to(corpus_dir).parts)
        if path.is_file() and not hidden and not is_metadata_file(relative):
            paths.append(path)
    return paths


def build_manifest(corpus_dir: Path) -> list[DocumentMeta]:
    """Metadata for every document: extracted from the text, then curated ids and titles."""
    metas = []
    for path in document_paths(corpus_dir):
        relative = path.relative_to(corpus_dir).as_posix()
        meta = extract_metadata(path.read_text(encoding="utf-8"), relative)
        meta.id = IDS.get(_NAME_DATE.sub("", path.stem), meta.id)
        meta.title = TITLES.get(meta.id, meta.title)
        metas.append(meta)
    seen: dict[str, str] = {}
    for meta in metas:
        if meta.id in seen:
            raise SystemExit(f"duplicate id {meta.id!r}: {seen[meta.id]} and {meta.source}")
        seen[meta.id] = meta.source
    return metas


def render(metas: list[DocumentMeta]) -> str:
    """Stable JSON text (sorted by source, UTF-8 kept readable) so diffs stay small."""
    entries = [manifest_entry(m) for m in sorted(metas, key=lambda m: m.source)]
    return json.dumps(entries, ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the manifest, or with --check report whether the stored one is current."""
    parser = argparse.ArgumentParser(
        description="Regenerate corpus/manifest.json from the corpus files.",
        epilog="example: python scripts/make_manifest.py corpus --check",
    )
    parser.add_argument(
        "corpus",
        nargs="?",
        type=Path,
        default=ROOT / "corpus",
        help="corpus folder (default: corpus/ in this checkout)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if the stored manifest is out of date",
    )
    args = parser.parse_args(argv)
    metas = build_manifest(args.corpus)
    text = render(metas)
    target = args.corpus / MANIFEST_NAME
    if args.check:
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        print(f"{target} is {'up to date' if current == text else 'OUT OF DATE'}")
        return 0 if current == text else 1
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} ({len(metas)} documents)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
