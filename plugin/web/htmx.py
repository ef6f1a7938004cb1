"""Flask-HTMX's request helper (`if htmx:` is true for a request htmx made); stateless, one per process."""

from __future__ import annotations

from flask_htmx import HTMX

htmx = HTMX()
