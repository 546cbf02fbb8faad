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
    proc = run_tool("mypy", "index", "api")
    assert proc.returncode == 0, proc.stdout + proc.stderr
