"""Server settings: one object, read from POLICYKB_* environment variables."""

from __future__ import annotations

from ipaddress import ip_network
from pathlib import Path

from pydantic import field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing_extensions import Annotated

from index.storage.backends import BackendConfig


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
    # Addresses/networks of reverse proxies whose X-Forwarded-For we believe; empty = none,
    # so rate limits and lockouts key on the socket peer (see docs/DEPLOY.md).
    trusted_proxies: Annotated[list[str], NoDecode] = []
    search_rate_per_minute: int = 600
    search_burst: int = 60
    auth_failures_per_minute: int = 10
    request_timeout_s: float = 10.0
    searches_in_flight_per_client: int = 2  # more at once from one client wait, then 429
    search_queue_wait_s: float = 1.0  # how long such a search waits for a slot
    query_embed_tokens: int = 64  # the model sees at most this much of a query (~250 chars)
    header_timeout_s: float = 15.0  # a connection must finish its request head by then
    keep_alive_s: int = 5  # idle keep-alive connections are closed after this
    max_body_bytes: int = 64 * 1024
    max_json_depth: int = 32
    reload_poll_s: float = 2.0  # how often to look for a generation built by another process
    backend: str = "local"  # "milvus": serve what the alias names (docs/MILVUS.md)
    milvus_uri: str | None = None  # http://host:19530, or a file path for Milvus Lite
    milvus_token: str | None = None
    milvus_db: str | None = None
    milvus_prefix: str = "policykb"  # the alias; collections are <prefix>_<generation>
    milvus_shards: int | None = None  # num_shards of the collections a build creates
    milvus_replicas: int | None = None  # replica_number when collections are loaded
    web_dir: Path = Path(__file__).resolve().parent.parent / "web"

    def backend_config(self) -> BackendConfig:
        return BackendConfig(self.backend, self.index_dir, self.milvus_uri, self.milvus_token,
                             self.milvus_db, self.milvus_prefix, self.milvus_shards,
                             self.milvus_replicas)

    @field_validator("cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def check_networks(cls, value: list[str]) -> list[str]:
        for net in value:
            ip_network(net, strict=False)  # ValueError names the bad entry
        return value

    @model_validator(mode="after")
    def refuse_wildcard_with_credentials(self) -> "Settings":
        # Browsers forbid it, and allowing it would let any site act with a user's cookies.
        if "*" in self.cors_origins and self.cors_allow_credentials:
            raise ValueError("CORS origin '*' cannot be combined with credentials: list the origins")
        return self
