"""Local web app and HTTP API over the same Python functions as the CLI (no logic of its own)."""

from .app import create_app

__all__ = ["create_app"]
