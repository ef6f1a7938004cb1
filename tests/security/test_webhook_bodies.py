"""A signed webhook body that can't be read is a 400, never a 500; a signed delivery already applied is answered
200 and costs nothing (its hash is remembered in the single-use markers store for a day)."""

from __future__ import annotations

import pytest

from plugin.runtime.changes import ChangeLog
from plugin.xero.webhooks import BadPayload, parse_events
from tests.scale.test_webhooks import CONTACT, app, deliver, event, payload  # noqa: F401 (fixtures)


@pytest.mark.parametrize("body", [
    b'{"events": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b"[" * 100_000 + b"]" * 100_000,
    b'{"events": [{"tenantId": ' + b"{" * 3000 + b"}" * 3000 + b"}]}",
    b'{"events": [NaN]}',
])
def test_a_signed_body_that_cannot_be_read_is_400(client, body):
    response = deliver(client, body)
    assert response.status_code == 400 and response.data.strip()


def test_parse_events_turns_deep_nesting_into_bad_payload():
    with pytest.raises(BadPayload):
        parse_events(b"[" * 100_000 + b"]" * 100_000)


def test_a_replayed_signed_delivery_is_answered_but_not_applied_again(client, clock, monkeypatch):
    applied = []
    real = ChangeLog.apply
    monkeypatch.setattr(ChangeLog, "apply", lambda self, events: applied.append(len(events)) or real(self, events))
    body = payload(event("CONTACT", CONTACT))
    assert deliver(client, body).status_code == 200
    assert deliver(client, body).status_code == 200
    assert applied == [1]
    clock.advance(24 * 3600 + 1)  # remembered for a day
    assert deliver(client, body).status_code == 200
    assert applied == [1, 1]
