"""`xero-panel context ...`: print a signed context URL, as the CRM would frame it (for local testing)."""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import urlencode

from plugin.clock import SystemClock
from plugin.embed.context import encode_context


def run(args: argparse.Namespace) -> int:
    from plugin import create_app
    from plugin.embed.session import context_secret

    app = create_app({"DATABASE_AUTO_UPGRADE": False})
    secret = args.secret or context_secret(app)
    claims = context_claims(args, issuer=app.config["CONTEXT_ISSUER"], audience=app.config["CONTEXT_AUDIENCE"])
    token = encode_context(claims, secret, clock=SystemClock())
    base_url = (args.base_url or app.config["PUBLIC_URL"]).rstrip("/")
    print(f"{base_url}/{args.page}?{urlencode({'context': token})}")
    return 0


def context_claims(args: argparse.Namespace, *, issuer: str, audience: str) -> dict[str, Any]:
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
