"""Save saves the organisation the admin picked; diagnostics show the last problem reps saw, with its time."""

from __future__ import annotations

from html import unescape

from plugin.storage import get_database
from tests.admin.conftest import forms_in
from tests.admin.test_connect_flow import JOINERY, STUDIO, state_of, stored, tenant_id_of


def test_picking_an_organisation_and_pressing_save_saves_that_organisation(panel_server, emulator, admin):
    admin.open()
    admin.connect(tenant_names=[STUDIO, JOINERY])
    section = admin.get("/admin/status").text
    chosen = stored(panel_server).tenant_name
    picked = JOINERY if chosen == STUDIO else STUDIO  # the one not chosen yet, whichever Xero listed first
    assert state_of(section) == "pending" and chosen in (STUDIO, JOINERY)
    # The Save button sends the picker's checked radio with its POST.
    assert 'hx-include="#admin-organisations"' in section
    picker = admin.get("/admin/organisations").text
    [form] = forms_in(picker)
    assert tenant_id_of(emulator, picked) in form.options("tenant_id")

    saved = admin.post("/admin/save", {"tenant_id": tenant_id_of(emulator, picked)})  # picked, not "Use this"
    assert state_of(saved.text) == "active" and "Saved" in saved.text
    assert picked in unescape(saved.text)
    with panel_server.app.app_context():
        assert get_database().connections.active_for("acct-1").tenant_name == picked


def test_save_without_a_pick_keeps_the_chosen_organisation(panel_server, emulator, admin):
    admin.open()
    admin.connect(tenant_names=[STUDIO, JOINERY])
    chosen = stored(panel_server).tenant_name
    saved = admin.post("/admin/save")
    assert state_of(saved.text) == "active"
    assert stored(panel_server).tenant_name == chosen


def test_save_refuses_an_organisation_outside_the_connection(panel_server, emulator, admin):
    admin.open()
    admin.connect(tenant_names=[STUDIO])
    refused = admin.post("/admin/save", {"tenant_id": "not-a-tenant"})
    assert "not part of this Xero connection" in unescape(refused.text)
    assert stored(panel_server).status == "pending"


def test_diagnostics_show_the_last_problem_reps_saw_with_its_time(panel_server, emulator, admin):
    admin.open()
    admin.connect(tenant_names=[STUDIO])
    admin.post("/admin/save")
    assert "None" in admin.get("/admin/diagnostics").text.split('data-field="last-error"')[1][:40]

    customer = emulator.state.customers(tenant_id_of(emulator, STUDIO))[0]
    record = {"type": "contact", "id": "c-1", "name": customer["name"], "email": customer["email"]}
    emulator.state.fail_next(20, "503")
    rep = panel_server.admin(emulator, role="member", user_id="u2")
    panel = rep.page.get(f"{panel_server.url}/panel", params={"context": rep.context(record=record)}, timeout=30)
    emulator.state.reset_faults()
    shown = "Xero isn't answering right now"
    assert shown in unescape(panel.text)

    report = unescape(admin.get("/admin/diagnostics").text)
    assert "Last problem reps saw" in report
    last = report.split('data-field="last-error"')[1].split("</dd>")[0]
    assert shown in last
    assert str(panel_server.clock.now().astimezone().year) in last  # with its time (the admin's date and clock)
