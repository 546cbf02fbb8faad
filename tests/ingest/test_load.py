"""Reading corpus files: encodings, formats, and every refusal with its one-line reason."""

from __future__ import annotations

import io
import os
import random
import struct
import tracemalloc
import zipfile
from pathlib import Path

import docx
import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from ingest.formats import MAX_DOCX_UNCOMPRESSED
from ingest.load import MAX_FILE_BYTES, iter_corpus_files, read_text
from ingest.models import Skipped
from ingest.errors import UnreadableDocument

LAW = "第一条 为了规范社会保险关系，维护公民参加社会保险和享受社会保险待遇的合法权益，制定本法。\n"


def write(root: Path, name: str, data: bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def reason(path: Path, root: Path) -> str:
    with pytest.raises(UnreadableDocument) as info:
        read_text(path, root)
    message = str(info.value)
    assert "\n" not in message
    return message


# ---- encodings ---------------------------------------------------------------------------


def test_gb18030_law_decodes(tmp_path):
    text = LAW * 3 + "生僻字𠀀与欧元符号€\n"  # 𠀀 needs GB18030's four-byte form
    path = write(tmp_path, "law.txt", text.encode("gb18030"))
    assert read_text(path, tmp_path) == text


def test_short_gbk_text_decodes(tmp_path):
    path = write(tmp_path, "short.txt", "第一条 为了规范社会保险关系".encode("gbk"))
    assert read_text(path, tmp_path) == "第一条 为了规范社会保险关系"


@pytest.mark.parametrize("codec", ["utf-16", "utf-8-sig", "utf-16-be"])
def test_bom_encodings_decode_without_bom(tmp_path, codec):
    text = "Pension 养老保险 صندوق بازنشستگی\n"
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    path = write(tmp_path, "bom.txt", data)
    assert read_text(path, tmp_path) == text


def test_mostly_utf8_with_one_broken_byte_is_kept(tmp_path):
    data = (LAW * 40).encode() + b"\xff" + "第二条".encode()
    text = read_text(write(tmp_path, "cut.txt", data), tmp_path)
    assert text.endswith("\ufffd第二条")


def test_empty_file(tmp_path):
    assert reason(write(tmp_path, "empty.txt", b""), tmp_path) == "empty file"


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 64,  # NUL bytes
        random.Random(7).randbytes(8192).replace(b"\0", b"\1"),  # no NUL, many controls
        b"\x89PNG\r\n\x1a\n" + bytes(4000),
    ],
)
def test_binary_named_txt(tmp_path, data):
    assert reason(write(tmp_path, "image.txt", data), tmp_path) == "binary content, not text"


def test_undecodable_bytes(tmp_path):
    data = bytes(range(0x80, 0x100)) * 20
    path = write(tmp_path, "odd.txt", data)
    assert reason(path, tmp_path) == "undecodable bytes (encoding unknown)"


def test_50_mb_text_file_is_ingested(tmp_path):
    line = "养老保险基金 pension fund line\n".encode()
    data = line * (50 * 1024 * 1024 // len(line))
    assert 49 * 2**20 < len(data) < MAX_FILE_BYTES
    text = read_text(write(tmp_path, "big.txt", data), tmp_path)
    assert len(text) == len(data.decode())


def test_file_over_limit_is_refused_without_reading(tmp_path):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk and no time
    assert reason(path, tmp_path).startswith("file too large")


# ---- formats -----------------------------------------------------------------------------


def test_markdown_is_kept_as_written(tmp_path):
    md = "# 中华人民共和国社会保险法\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n" + LAW
    # the header marker stays for ingest.manifest; clean_text drops it for display
    assert read_text(write(tmp_path, "law.md", md.encode()), tmp_path) == md


def test_html_visible_text_with_block_breaks(tmp_path):
    page = (
        '<html><head><meta charset="gbk"><title>页面</title><style>p{color:red}</style></head>'
        "<body><nav>首页 | 新闻</nav><h1>社会保险法</h1><p>第一条 为了\n规范<b>社会</b>保险。</p>"
        "<div>第二条 国家建立<br>基本养老保险。</div><script>var x = 1;</script>"
        "<footer>版权所有</footer></body></html>"
    )
    text = read_text(write(tmp_path, "page.html", page.encode("gbk")), tmp_path)
    assert text.splitlines()[0] == "# 社会保险法"
    assert "第一条 为了规范社会保险。" in text.splitlines()
    assert "第二条 国家建立\n基本养老保险。" in text
    for dropped in ("首页", "var x", "color", "版权所有"):
        assert dropped not in text


def test_pdf_with_text_layer(tmp_path):
    writer = PdfWriter()
    page = writer.add_blank_page(300, 200)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    fonts = DictionaryObject({NameObject("/F1"): font})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    content = DecodedStreamObject()
    content.set_data(b"BT /F1 12 Tf 20 100 Td (Pension fund rules) Tj ET")
    page.replace_contents(content)
    path = tmp_path / "text.pdf"
    writer.write(path)
    assert read_text(path, tmp_path) == "Pension fund rules"


def test_pdf_without_text_layer(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    path = tmp_path / "scan.pdf"
    writer.write(path)
    assert reason(path, tmp_path) == "PDF has no text layer (scanned?)"


def test_corrupt_pdf(tmp_path):
    path = write(tmp_path, "bad.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog broken")
    assert reason(path, tmp_path).startswith("corrupt PDF")


def test_encrypted_pdf(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    writer.write(path)
    assert reason(path, tmp_path) == "encrypted PDF (password required)"


def test_docx_paragraphs_headings_and_tables(tmp_path):
    document = docx.Document()
    document.add_heading("社会保险法", level=1)
    document.add_paragraph("第一条 为了规范社会保险关系。")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "养老保险"
    table.rows[0].cells[1].text = "8%"
    path = tmp_path / "law.docx"
    document.save(path)
    assert read_text(path, tmp_path).splitlines() == [
        "# 社会保险法",
        "第一条 为了规范社会保险关系。",
        "养老保险\t8%",
    ]


def test_corrupt_docx(tmp_path):
    path = write(tmp_path, "bad.docx", b"PK\x03\x04 this is not really a zip")
    assert reason(path, tmp_path).startswith("corrupt .docx")


def test_docx_zip_without_document_part(tmp_path):
    path = tmp_path / "empty.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    assert reason(path, tmp_path) == "corrupt .docx: no word/document.xml"


def docx_bomb(path: Path, size: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b" " * size)


def test_docx_bomb_over_declared_cap(tmp_path):
    path = tmp_path / "bomb.docx"
    docx_bomb(path, MAX_DOCX_UNCOMPRESSED + 2**20)
    assert path.stat().st_size < 2**20
    assert reason(path, tmp_path).startswith(".docx uncompressed too large")


def test_docx_with_absurd_compression_ratio(tmp_path):
    path = tmp_path / "ratio.docx"
    docx_bomb(path, 8 * 2**20)  # under the size cap, but ~1000:1
    assert "zip bomb" in reason(path, tmp_path)


def test_docx_understating_its_size_keeps_memory_bounded(tmp_path):
    path = tmp_path / "liar.docx"
    true_size = MAX_DOCX_UNCOMPRESSED + 2**20
    docx_bomb(path, true_size)
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) != -1:  # every local / central header
            if struct.unpack_from("<I", data, start + offset)[0] == true_size:
                struct.pack_into("<I", data, start + offset, 1000)
            start += 4
    path.write_bytes(bytes(data))
    tracemalloc.start()
    try:
        message = reason(path, tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert message.startswith("corrupt .docx") or "zip bomb" in message
    assert peak < 16 * 2**20  # never inflated the 65 MiB it really holds


def test_docx_entry_escaping_the_archive(tmp_path):
    path = tmp_path / "slip.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("../../evil.sh", "rm -rf /")
    assert "unsafe entry name" in reason(path, tmp_path)


# ---- walking the corpus ------------------------------------------------------------------


def test_walk_is_sorted_and_reports_skips(tmp_path):
    root = tmp_path / "corpus"
    for name in ("b/law.md", "a.txt", "a/page.html", "notes.xlsx", "x..y.txt"):
        write(root, name, b"text")
    for name in ("manifest.json", "topics.json", "a.jsonl", "README.md", ".hidden.txt", ".git/x"):
        write(root, name, b"{}")
    found = list(iter_corpus_files(root))
    assert found == [
        root / "a/page.html",
        root / "a.txt",
        root / "b/law.md",
        Skipped("notes.xlsx", "unsupported file type '.xlsx'"),
        Skipped("x..y.txt", "file name contains '..'"),
    ]


def test_symlink_outside_corpus_is_skipped_and_unreadable(tmp_path):
    root = tmp_path / "corpus"
    secret = write(tmp_path, "secret.txt", b"password")
    write(root, "ok.txt", b"hello")
    (root / "leak.txt").symlink_to(secret)
    (root / "outside").symlink_to(tmp_path)
    (root / "alias.txt").symlink_to(root / "ok.txt")  # inside: fine
    found = list(iter_corpus_files(root))
    assert Skipped("leak.txt", "symlink points outside the corpus folder") in found
    assert Skipped("outside", "symlink points outside the corpus folder") in found
    assert root / "alias.txt" in found
    assert reason(root / "leak.txt", root) == "symlink points outside the corpus folder"
    assert read_text(root / "alias.txt", root) == "hello"


def test_symlink_loop_does_not_break_the_walk(tmp_path):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    write(tmp_path, "z.txt", b"text")
    found = list(iter_corpus_files(tmp_path))
    assert found[-1] == tmp_path / "z.txt"
    assert [s.path for s in found if isinstance(s, Skipped)] == ["loop"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_fifo_is_not_a_regular_file(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    assert list(iter_corpus_files(tmp_path)) == [Skipped("pipe.txt", "not a regular file")]


def test_unsupported_extension_read_directly(tmp_path):
    path = write(tmp_path, "sheet.xlsx", io.BytesIO(b"data").getvalue())
    assert reason(path, tmp_path) == "unsupported file type '.xlsx'"
