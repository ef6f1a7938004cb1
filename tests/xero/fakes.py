"""A scripted Xero for client unit tests: a requests transport adapter that answers from a list, and records."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter

from plugin.xero.endpoints import XeroEndpoints

BASE = "http://xero.test"
ENDPOINTS = XeroEndpoints.emulator(BASE)
LIMIT_HEADERS = {"X-MinLimit-Remaining": "59", "X-DayLimit-Remaining": "4999", "X-AppMinLimit-Remaining": "9999"}

Answer = requests.Response | Exception | Callable[[requests.PreparedRequest], requests.Response]


def answer(status: int = 200, body: Any = None, *, text: str | None = None, headers: dict | None = None):
    """A canned response; `body` is sent as JSON, `text` as it is."""
    response = requests.Response()
    response.status_code = status
    response._content = (text if text is not None else json.dumps(body)).encode()
    response.headers.update({**LIMIT_HEADERS, **(headers or {})})
    return response


def problem(status: int, detail: str, title: str = "Unauthorized"):
    return answer(status, {"Type": None, "Title": title, "Status": status, "Detail": detail, "Instance": "x"})


@dataclass
class ScriptedXero(BaseAdapter):
    """Answers each request with the next scripted answer; keeps every request it was sent."""

    answers: list[Answer] = field(default_factory=list)
    requests: list[requests.PreparedRequest] = field(default_factory=list)
    timeouts: list[object] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        self.requests.append(request)
        self.timeouts.append(timeout)
        reply = self.answers.pop(0)
        if isinstance(reply, Exception):
            raise reply
        reply = reply(request) if callable(reply) else reply
        reply.request = request
        reply.url = request.url
        return reply

    def close(self) -> None:
        pass

    def query(self, index: int = -1) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.requests[index].url).query).items()}

    def session(self) -> requests.Session:
        session = requests.Session()
        session.mount(BASE, self)
        return session


class StaticTokens:
    """A TokenSource that hands out numbered tokens and counts refreshes."""

    def __init__(self) -> None:
        self.current = "token-1"
        self.rejected: list[str] = []

    def access_token(self) -> str:
        return self.current

    def refresh_after_rejection(self, rejected: str) -> str:
        self.rejected.append(rejected)
        self.current = f"token-{len(self.rejected) + 1}"
        return self.current
