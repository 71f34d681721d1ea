"""Settings from the environment or `.env` (DESIGN §3). Read once, in run_bot.py."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///jirei.db"


class MissingSetting(RuntimeError):
    """A mode needs a setting that is not set; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")
    database_url: str = Field(default=DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    admins: str = Field(default="", validation_alias="JIREI_ADMINS")
    timezone: str = Field(default="Asia/Tokyo", validation_alias="JIREI_TIMEZONE")
    announce_channel: str | None = Field(default=None, validation_alias="JIREI_ANNOUNCE_CHANNEL")
    portal_channel: str | None = Field(default=None, validation_alias="JIREI_PORTAL_CHANNEL")
    dispatch_interval_seconds: float = Field(default=5.0, gt=0, validation_alias="JIREI_DISPATCH_INTERVAL_SECONDS")
    encryption_key: SecretStr | None = Field(default=None, validation_alias="JIREI_ENCRYPTION_KEY")
    # /metrics and /healthz for operators, on a listener of their own (HTTP and Socket Mode).
    metrics_host: str = Field(default="127.0.0.1", validation_alias="JIREI_METRICS_HOST")
    metrics_port: int = Field(default=9108, validation_alias="JIREI_METRICS_PORT")
    log_level: str = Field(default="INFO", validation_alias="JIREI_LOG_LEVEL")
    # A stable name per bot process lets a restarted process take back its own claimed deliveries
    # at once instead of waiting for their lease to expire; two live processes must not share one.
    instance_id: str | None = Field(default=None, validation_alias="JIREI_INSTANCE_ID")
    # Days a published case keeps its material content (then it is deleted; the record stays).
    material_retention_days: int = Field(default=90, ge=0, validation_alias="JIREI_MATERIAL_RETENTION_DAYS")
    # Self-run sessions one person may propose in a calendar month (each invites their region by DM).
    proposals_per_month: int = Field(default=2, ge=1, le=100, validation_alias="JIREI_PROPOSALS_PER_MONTH")

    # HTTP mode: a request body not received in full within this is answered 408 (Slack sends its
    # small bodies at once; a client that stalls after its headers holds a connection no longer).
    body_read_timeout_seconds: float = Field(default=10.0, gt=0, le=300,
                                             validation_alias="JIREI_BODY_READ_TIMEOUT_SECONDS")
    # A file fetched from Slack (url_private) must arrive within this, and never pause for longer
    # than 30 s (or this, when shorter); else the upload is answered "could not download".
    download_timeout_seconds: float = Field(default=120.0, gt=0, le=3600,
                                            validation_alias="JIREI_DOWNLOAD_TIMEOUT_SECONDS")

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        # Operators paste the URLs their tools print; give them the async drivers.
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        if url.startswith("postgresql://"):
            url = "postgresql+asyncpg://" + url[len("postgresql://"):]
        if url.startswith("sqlite:///"):
            url = "sqlite+aiosqlite:///" + url[len("sqlite:///"):]
        return url

    @property
    def admin_ids(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.admins.split(",") if part.strip())

    def require(self, *names: str) -> None:
        """Raise MissingSetting naming the first environment variable that is not set."""
        for name in names:
            field = next(
                key for key, info in type(self).model_fields.items() if info.validation_alias == name
            )
            value = getattr(self, field)
            if value is None or (isinstance(value, SecretStr) and not value.get_secret_value()):
                raise MissingSetting(name)

    def auto_mode(self) -> str:
        """The mode `run_bot.py` picks when none is given (DESIGN §3)."""
        if self.slack_app_token:
            return "socket"
        if self.slack_bot_token and self.slack_signing_secret:
            return "http"
        return "console"
