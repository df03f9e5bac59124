"""ASGI entry point for uvicorn and other servers: ``uvicorn tipnet.asgi:app``."""

from __future__ import annotations

from tipnet.api import create_app
from tipnet.config import load_settings

app = create_app(load_settings())
