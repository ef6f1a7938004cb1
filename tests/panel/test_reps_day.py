"""Open or Overdue is decided on the rep's calendar day, not the server's: Xero's due dates are local dates."""

from __future__ import annotations

import pytest

from tests.panel.conftest import contact_record
from tests.panel.test_views import rows_of

# The tests' clock says 2026-03-01T09:00Z: still 28 February in Honolulu (UTC-10), 1 March in Auckland.
DUE = "2026-02-28"


@pytest.mark.parametrize(("tz", "view"), [("Pacific/Honolulu", "open"), ("Pacific/Auckland", "overdue")])
def test_an_invoice_due_on_the_reps_today_is_open_and_due_on_their_yesterday_is_overdue(
        panel, emulator, connected, tz, view):
    customer = emulator.state.customers(connected["tenant_id"])[6]
    emulator.state.create_invoice(connected["tenant_id"], customer["contact_id"], number="INV-DAY-1",
                                  date="2026-02-01", due_date=DUE, status="AUTHORISED")
    panel.open(contact_record(customer), tz=tz)
    assert rows_of(panel.get("/panel/invoices", view=view, q="INV-DAY-1")) == ["INV-DAY-1"]
