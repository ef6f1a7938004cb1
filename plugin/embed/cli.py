"""`xero-panel context ...`: print a signed context URL, as the CRM would frame it (for local testing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Flask

from plugin.domain.clock import SystemClock
from plugin.embed.context import encode_context
from plugin.embed.session import context_secret


@dataclass(frozen=True)
class ContextRequest:
    """The command's options: who opens which record, and where."""

    account: str
    role: str = "member"
    record: str = "contact:1"
    email: str = ""
    name: str = ""
    company: str = ""
    user_id: str = "u1"
    user_email: str = "rep@example.com"
    user_name: str = "Demo Rep"
    locale: str = "en-NZ"
    timezone: str = "Pacific/Auckland"
    page: str = "panel"
    secret: str | None = None
    base_url: str | None = None


def context_url(app: Flask, args: ContextRequest) -> str:
    secret = args.secret or context_secret(app)
    claims = context_claims(args, issuer=app.config["CONTEXT_ISSUER"], audience=app.config["CONTEXT_AUDIENCE"])
    token = encode_context(claims, secret, clock=SystemClock())
    base_url = (args.base_url or app.config["PUBLIC_URL"]).rstrip("/")
    return f"{base_url}/{args.page}?{urlencode({'context': token})}"


def context_claims(args: ContextRequest, *, issuer: str, audience: str) -> dict[str, Any]:
    record_type, _, record_id = (args.record or "contact:1").partition(":")
    if not record_id:
        raise SystemExit("--record must be TYPE:ID, e.g. contact:42")
    return {
        "iss": issuer,
        "aud": audience,
        "account": args.account,
        "user": {
            "id": args.user_id,
            "email": args.user_email,
            "name": args.user_name,
            "role": args.role,
            "locale": args.locale,
            "tz": args.timezone,
        },
        "record": {
            "type": record_type,
            "id": record_id,
            "name": args.name,
            "email": args.email,
            "company": args.company,
        },
    }
