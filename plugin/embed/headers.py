"""Security headers for framed routes. Placeholder until the embedding work lands."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass
