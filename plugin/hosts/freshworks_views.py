"""Freshworks' entry: the placeholder page of our Freshworks app frames `PUBLIC_URL/panel?context=...` (or
`/admin?context=...`) with a context its serverless function signed. A hook in front of those two first loads
sends a context whose issuer is `freshworks:<domain>` here instead of to the generic verifier: it is verified with
FRESHWORKS_CONTEXT_SECRET (plugin/hosts/freshworks.py), mapped to the internal context with host `freshworks`, and
handed over like every host's, through a single-use token of ours (plugin.embed.session.issue_handover) and a
redirect to `/panel?launch=...` or `/admin?launch=...`. Any other `?context=` passes untouched to the generic host.

Nothing here reads Freshsales: the serverless function read the record and the user on Freshworks' servers and
signed what it read, so the signed claims are the lookup.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, redirect, request, url_for
from werkzeug.wrappers import Response

from plugin.domain.text import N_
from plugin.embed.context import ContextError
from plugin.embed.headers import add_frame_origins
from plugin.embed.session import CONTEXT_PARAM, MarkerReplayGuard, error_page, issue_handover
from plugin.hosts import freshworks
from plugin.services import services

log = logging.getLogger(__name__)

# The first loads a Freshworks context may open, and where its hand-over goes.
ENTRY_ENDPOINTS = {"panel.first_load": "panel.first_load", "admin.integration_page": "admin.integration_page"}


def init_app(app: Flask) -> None:
    if str(app.config.get("CONTEXT_ISSUER") or "").startswith(freshworks.ISSUER_PREFIX):
        raise ValueError("CONTEXT_ISSUER may not start with 'freshworks:': that issuer marks the Freshworks app's "
                         "contexts (FRESHWORKS_CONTEXT_SECRET); choose another issuer for the generic context")
    app.before_request(_freshworks_context)
    if freshworks.context_secrets(app.config):
        add_frame_origins(app, tuple(str(app.config.get("FRESHWORKS_FRAME_ORIGINS") or "").split()))


def _freshworks_context() -> Response | None:
    """Before `/panel` and `/admin`: take a Freshworks-minted `?context=` and hand it over; leave the rest."""
    if request.endpoint not in ENTRY_ENDPOINTS or request.method != "GET":
        return None
    token = request.args.get(CONTEXT_PARAM, "")
    if not token or not freshworks.is_freshworks_token(token):
        return None
    config = current_app.config
    try:
        context = freshworks.verify_context(
            token, secrets=freshworks.context_secrets(config), domains=freshworks.allowed_domains(config),
            now=services().clock.now(), replay_guard=MarkerReplayGuard())
    except ContextError as error:
        log.info("freshworks: context refused: %s", error.message)
        return error_page(error)
    if request.endpoint == "admin.integration_page" and not context.user.is_admin:
        return error_page(ContextError(403, N_("Only Freshsales admins can connect Xero.")))
    return redirect(url_for(ENTRY_ENDPOINTS[request.endpoint], launch=issue_handover(context)), code=303)
