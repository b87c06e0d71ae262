"""The one settings object of Hàng Chờ, read from `HANGCHO_*` environment variables.

Defaults run the demo with no set-up at all: SQLite under var/, a secret key generated once into
var/secret_key (never in git), Asia/Ho_Chi_Minh as the local time zone.
"""
from __future__ import annotations

import secrets
from functools import cached_property
from typing import Literal
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"


class Settings(BaseSettings):
    """Configuration of one server process (a site server or, later, the central server)."""

    model_config = SettingsConfigDict(env_prefix="HANGCHO_", extra="ignore", frozen=True)

    database_url: str = Field(
        default=f"sqlite:///{VAR_DIR / 'hangcho.sqlite3'}",
        description="SQLAlchemy URL; sqlite:///path (default) or postgresql+psycopg://user@host/db",
    )
    secret_key: str = Field(default="", description="Signs session cookies; generated into var/ when empty")
    host: str = "127.0.0.1"
    port: int = 5000
    public_base_url: str = Field(default="", description="Base of the ticket QR links; http://host:port if empty")
    demo: bool = Field(default=False, description="Demo mode: fixed demo passwords and device keys")
    timezone: str = "Asia/Ho_Chi_Minh"
    default_language: str = "vi"
    message_queue_url: str = Field(default="", description="redis://… to share Socket.IO events between processes")
    bridge: str = Field(default="on", description="`off` starts `make run` without the simulated bridge")
    token_ttl_hours: int = 12
    print_timeout_s: float = 10.0
    scheduler_interval_s: float = 15.0
    scheduler: bool = Field(default=True, description="Run periodic jobs (day expiry, print time-outs, alerts)")
    log_level: str = "INFO"
    thread_switch_interval_s: float = Field(
        default=0.05,
        description="Python's GIL switch interval in the server process. Pushing an event to hundreds of "
        "sockets wakes one writer thread per socket; a longer interval than Python's 5 ms lets each "
        "finish its send instead of being preempted (see docs/performance.md)",
    )
    trusted_proxies: str = Field(
        default="",
        description="Addresses or networks (comma-separated, e.g. 127.0.0.1,10.0.0.0/8) of reverse proxies whose "
        "X-Forwarded-For/-Proto/-Host headers are believed; from any other peer they are ignored",
    )
    citizen_key_secret: str = Field(
        default="",
        description="The centre's secret for the keyed hash (HMAC-SHA256) of phone numbers or citizen IDs used as "
        "repeat-visit keys; generated once into var/citizen_key_secret when empty. Never in git, never exported",
    )
    voice_pack_dir: str = Field(default=str(VAR_DIR / "voice"), description="Folder holding voice packs")
    node_modules_dir: str = str(PROJECT_ROOT / "node_modules")
    role: Literal["site", "central"] = Field(
        default="site", description="`site` (one centre's hall) or `central` (the province server): same code, own database")
    central_url: str = Field(default="", description="The province server a site uplinks to, e.g. https://tinh.example.vn")
    uplink_key: str = Field(default="", description="This site's uplink key, given by `central add-site` (secret)")
    uplink_batch_size: int = Field(default=500, ge=1, le=5000, description="Events per uplink batch while catching up")
    uplink_max_backoff_s: float = Field(default=30.0, gt=0, le=600,
                                        description="Longest pause between two attempts to reach a central that is down")
    uplink_poll_s: float = Field(default=0.3, gt=0, le=5, description="How often the uplink looks for new events")
    central: str = Field(default="on", description="`off`: `make run` starts the demo site without a demo central")
    central_port: int = Field(default=5001, description="Port of the demo central that `make run` starts")
    province_stale_s: float = Field(
        default=45.0, description="Central: a site not heard from for this long shows as disconnected")
    province_min_ratings: int = Field(
        default=30, ge=0, le=100_000,
        description="Central: a site with fewer ratings in the period ranks last (enough_ratings false)")

    @cached_property
    def effective_secret_key(self) -> str:
        """The configured secret, or one generated once and kept in var/secret_key (mode 600)."""
        if self.secret_key:
            return self.secret_key
        key_file = VAR_DIR / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key

    @cached_property
    def effective_citizen_key_secret(self) -> bytes:
        """The configured secret, or one generated once and kept in var/citizen_key_secret (mode 600)."""
        if self.citizen_key_secret:
            return self.citizen_key_secret.encode("utf-8")
        key_file = VAR_DIR / "citizen_key_secret"
        if not key_file.exists():
            VAR_DIR.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return key_file.read_text().strip().encode("utf-8")

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def is_https(self) -> bool:
        """Served over HTTPS (cookies are then sent only over HTTPS)."""
        return self.base_url.startswith("https://")

    @property
    def is_central(self) -> bool:
        return self.role == "central"

    @property
    def uplink_enabled(self) -> bool:
        """A site uplinks when both the central's address and its key are set."""
        return self.role == "site" and bool(self.central_url) and bool(self.uplink_key)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    """Read the environment; keyword overrides win (tests use them instead of touching os.environ)."""
    return Settings(**overrides)  # type: ignore[arg-type]
