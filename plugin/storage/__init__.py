"""Storage: SQLAlchemy on SQLite (default) or PostgreSQL. Built by the install/connect work."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Placeholder until the storage layer lands."""
