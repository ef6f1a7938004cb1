"""Xero's paths ignore case (`/Connections` and `/connections`, `/api.xro/2.0/invoices` and `/Invoices` are the
same), while Flask's routing is exact. `CaseInsensitivePaths` wraps the emulator's WSGI app and rewrites the fixed
parts of a request's path to the case its routes are written in; variable parts (ids, short codes) are left alone.

    app.wsgi_app = CaseInsensitivePaths(app.wsgi_app, app.url_map)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.routing import Map


@dataclass
class _Node:
    fixed: dict[str, tuple[str, _Node]] = field(default_factory=dict)  # lower-cased segment -> (as routed, next)
    variable: _Node | None = None  # a one-segment converter: <id>
    rest: bool = False  # a path converter: <path:rest> takes every remaining segment
    end: bool = False  # a route ends here

    def add(self, segments: list[str]) -> None:
        if not segments:
            self.end = True
            return
        first, others = segments[0], segments[1:]
        if first.startswith("<path:"):
            self.rest = True
        elif "<" in first:
            self.variable = self.variable or _Node()
            self.variable.add(others)
        else:
            _, child = self.fixed.setdefault(first.lower(), (first, _Node()))
            child.add(others)

    def canonical(self, segments: list[str]) -> list[str] | None:
        """The segments with fixed parts as routed, or None when no route has this shape."""
        if not segments:
            return [] if self.end or "" in self.fixed else None  # "" in fixed: Werkzeug adds the slash
        first, others = segments[0], segments[1:]
        if first.lower() in self.fixed:
            routed, child = self.fixed[first.lower()]
            tail = child.canonical(others)
            if tail is not None:
                return [routed, *tail]
        if self.variable is not None and first:
            tail = self.variable.canonical(others)
            if tail is not None:
                return [first, *tail]
        if self.rest and first:
            return segments
        return None


def _tree(rules: Iterable[str]) -> _Node:
    root = _Node()
    for rule in rules:
        root.add(rule.split("/")[1:])
    return root


class CaseInsensitivePaths:
    def __init__(self, app: Callable[..., Any], url_map: Map) -> None:
        self.app = app
        self.root = _tree(rule.rule for rule in url_map.iter_rules())

    def canonical_path(self, path: str) -> str:
        """`path` with its fixed segments in the routes' case; unchanged when no route has its shape."""
        found = self.root.canonical(path.split("/")[1:]) if path.startswith("/") else None
        return path if found is None else "/" + "/".join(found)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ["PATH_INFO"] = self.canonical_path(environ.get("PATH_INFO", "") or "/")
        return self.app(environ, start_response)
