"""Lint and type checks as tests, so style regressions fail the suite rather than review."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


# pyproject.toml keeps mypy out of torch's and transformers' types, so even a cold run
# takes seconds; the limit only stops a hung tool.
TOOL_TIMEOUT_S = 300


def run_tool(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m module args` from the repo root, where pyproject.toml configures it."""
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install -e '.[dev]')")
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)


def test_ruff_clean() -> None:
    proc = run_tool("ruff", "check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_clean() -> None:
    proc = run_tool("mypy", "policykb", "api", "index", "ingest")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_layers_and_storage_boundaries() -> None:
    """import-linter's contracts in pyproject.toml: CLI -> api -> index -> ingest, layers
    inside index, and only index.storage importing sqlite3, sqlite_utils or faiss."""
    if importlib.util.find_spec("importlinter") is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    proc = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command;"
                           "lint_imports_command()"], cwd=ROOT, capture_output=True, text=True,
                          timeout=TOOL_TIMEOUT_S)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60


def test_modules_and_functions_stay_small() -> None:
    """House style: a newcomer reads a module in one sitting and a function on one screen."""
    import ast

    too_big = []
    for package in ("policykb", "api", "index", "ingest"):
        for path in sorted((ROOT / package).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            if len(source.splitlines()) > MAX_MODULE_LINES:
                too_big.append(f"{path.relative_to(ROOT)}: {len(source.splitlines())} lines")
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > MAX_FUNCTION_LINES:
                        too_big.append(f"{path.relative_to(ROOT)}:{node.lineno} "
                                       f"{node.name}: {length} lines")
    assert not too_big, "\n".join(too_big)
