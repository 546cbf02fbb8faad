"""Server settings: one object, read from POLICYKB_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing_extensions import Annotated


class Settings(BaseSettings):
    """Everything the server can be told; CLI options override the environment."""

    model_config = SettingsConfigDict(env_prefix="POLICYKB_")

    index_dir: Path = Path("var/index")
    corpus_dir: Path = Path("corpus")
    model: str | None = None
    search_key: str | None = None  # optional: when set, searches need X-API-Key
    admin_key: str | None = None  # required for admin routes; unset = admin routes refuse
    cors_origins: Annotated[list[str], NoDecode] = []  # none by default
    cors_allow_credentials: bool = False
    search_rate_per_minute: int = 600
    search_burst: int = 60
    auth_failures_per_minute: int = 10
    request_timeout_s: float = 10.0
    max_body_bytes: int = 64 * 1024
    max_json_depth: int = 32
    reload_poll_s: float = 2.0  # how often to look for a generation built by another process
    web_dir: Path = Path(__file__).resolve().parent.parent / "web"

    @field_validator("cors_origins", mode="before")
    @classmethod
    def split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @model_validator(mode="after")
    def refuse_wildcard_with_credentials(self) -> "Settings":
        # Browsers forbid it, and allowing it would let any site act with a user's cookies.
        if "*" in self.cors_origins and self.cors_allow_credentials:
            raise ValueError("CORS origin '*' cannot be combined with credentials: list the origins")
        return self
