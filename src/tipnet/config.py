"""Settings for one tipnet node, read from ``TIPNET_*`` environment variables or ``.env``.

Nothing is read at import time: call :func:`load_settings` and pass the object on.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from typing import Annotated

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from tipnet.crypto import Keyring

DEFAULT_DATABASE_URL = "sqlite:///./tipnet.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TIPNET_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: SQLite by default, postgresql+psycopg://... in production.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description=(
            "Base64 of 32 random bytes. Encrypts personal fields at rest (AES-GCM) and keys the "
            "blind indexes. Create one with `tipnet admin gen-key`."
        ),
    )
    previous_secret_key: SecretStr | None = Field(
        default=None,
        description=(
            "During a key rotation only: the key being retired, so that values not yet "
            "re-encrypted stay readable and blind-index lookups find rows not yet rebuilt. "
            "Remove it once `tipnet admin rotate-key` has finished."
        ),
    )
    node_name: str = Field(default="tipnet-node", description="Name of this node.")
    max_body_bytes: int = Field(
        default=1_000_000, ge=1_000, description="Largest request body accepted (bytes)."
    )
    db_pool_size: int = Field(default=10, ge=1)
    cooperation_response_hours: int = Field(
        default=48,
        ge=1,
        le=8760,
        description="Hours a cooperation request may wait for its answer before it is "
        "listed as overdue (Prüm II: core data within 48 hours of receipt).",
    )
    cooperation_immediate_response_hours: int | None = Field(
        default=None,
        ge=1,
        le=8760,
        description="A shorter window for requests marked 'immediate' (a person believed in "
        "danger now); unset, they have cooperation_response_hours like the others.",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) of the reverse proxies in front of the node, "
        "comma-separated. Only requests from these may set the client address with "
        "X-Forwarded-For; empty (the default), the header is ignored, so nobody on the host "
        "can spoof the address the rate limits and the audit log see.",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        # "10.0.0.1, 10.1.0.0/16" from the environment; a list when given in code
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"TIPNET_TRUSTED_PROXIES: {entry!r} is not an IP address or network "
                    "(e.g. 10.0.0.5 or 10.0.0.0/24)"
                ) from None
        return value

    @field_validator("secret_key", "previous_secret_key")
    @classmethod
    def _secret_key_is_32_bytes(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if value is not None:
            decode_key(value.get_secret_value(), f"TIPNET_{(info.field_name or '').upper()}")
        return value

    def secret_key_bytes(self) -> bytes:
        """The 32-byte master key; a clear error if it was never configured."""
        from tipnet.errors import ConfigurationError

        if self.secret_key is None:
            raise ConfigurationError(
                "TIPNET_SECRET_KEY is not set: personal fields cannot be encrypted. "
                "Run `tipnet admin gen-key` and put the line it prints in .env or the environment."
            )
        return base64.b64decode(self.secret_key.get_secret_value())

    def previous_secret_key_bytes(self) -> bytes | None:
        if self.previous_secret_key is None:
            return None
        return base64.b64decode(self.previous_secret_key.get_secret_value())

    def keyring(self) -> Keyring:
        """The node's Keyring: the current key and, during a rotation, the previous one."""
        from tipnet.errors import ConfigurationError

        try:
            return Keyring(self.secret_key_bytes(), previous=self.previous_secret_key_bytes())
        except ValueError as error:
            raise ConfigurationError(
                "TIPNET_PREVIOUS_SECRET_KEY is the same key as TIPNET_SECRET_KEY: during a "
                "rotation it holds the old key, TIPNET_SECRET_KEY the new one"
            ) from error


def decode_key(text: str, name: str) -> bytes:
    """A master key from its base64 text; ValueError naming ``name`` if it is not one."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except binascii.Error as error:
        raise ValueError(
            f"{name} is not valid base64; create one with `tipnet admin gen-key`"
        ) from error
    if len(raw) != 32:
        raise ValueError(
            f"{name} must decode to 32 bytes, not {len(raw)}; "
            "create one with `tipnet admin gen-key`"
        )
    return raw


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
