"""The package version, read from its installed metadata (pyproject.toml is the one source)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("policykb")
except PackageNotFoundError:  # a plain checkout on sys.path, never installed
    __version__ = "0+unknown"
