"""One Xero call per cold view: records are matched against the organisation's customer directory (one shared
GET Contacts per organisation per 15 minutes), not with a Contacts search per record."""

from __future__ import annotations

import json
import threading

import pytest

from plugin.domain.matching import MatchInput, MatchMethod, RecordKey, find_contact
from plugin.domain.models import Contact, ContactStatus
from plugin.runtime import invoices as service
from plugin.runtime.invoices import CustomerDirectories
from plugin.xero.errors import XeroUnavailable
from plugin.xero.webhooks import sign
from tests.panel.conftest import PanelActions, contact_record, text_of

WEBHOOK_KEY = "directory-tests-webhook-key"


@pytest.fixture
def customers(emulator, connected) -> list[dict]:
    return emulator.state.customers(connected["tenant_id"])


def uniquely_emailed(customers: list[dict]) -> list[dict]:
    emails = [entry["email"].casefold() for entry in customers]
    return [entry for entry in customers if entry["email"] and emails.count(entry["email"].casefold()) == 1]


def test_with_the_directory_warm_a_cold_view_costs_one_call_and_so_does_a_second_records_first_view(
        panel, customers):
    assert "Matched by the contact's email" in text_of(panel.open(contact_record(customers[4])))
    assert panel.calls() == 2, "the directory (once per organisation) and this contact's invoices"
    panel.emulator.state.reset_call_counts()
    assert "Matched by the contact's email" in text_of(panel.open(contact_record(customers[5])))
    assert panel.calls() == 1, "a never-seen record: its invoices only"
    account = {"type": "account", "id": "a-7", "name": f"  {customers[6]['name'].upper()} ", "company": ""}
    assert "Matched by the account's name" in text_of(panel.open(account))
    assert panel.calls() == 2


def test_many_reps_opening_records_at_once_fetch_the_directory_once(panel_app, clock, emulator, customers):
    emulator.state.set_latency(0.2)
    reps = [PanelActions(panel_app, clock, emulator) for _ in range(4)]  # within Xero's 5 calls in flight
    pages: list[str] = []
    records = [contact_record(entry) for entry in uniquely_emailed(customers)[:4]]
    threads = [threading.Thread(target=lambda rep=rep, record=record: pages.append(text_of(rep.open(record))))
               for rep, record in zip(reps, records, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    emulator.state.set_latency(0)
    assert len(pages) == 4 and all("Matched by the contact's email" in page for page in pages)
    assert emulator.state.api_calls() == 1 + 4, "one directory fetch, then one invoice list per record"


def test_a_contact_webhook_drops_the_directory(panel, customers, connected):
    panel.app.config["WEBHOOK_KEY"] = WEBHOOK_KEY
    panel.open(contact_record(customers[4]))
    with panel.app.app_context():
        from plugin.services import services

        assert services().directories.peek(connected["tenant_id"]) is not None
        body = json.dumps({"events": [{"resourceUrl": "x", "resourceId": customers[7]["contact_id"],
                                       "eventDateUtc": "2026-03-01T09:00:00.000", "eventType": "CREATE",
                                       "eventCategory": "CONTACT", "tenantId": connected["tenant_id"],
                                       "tenantType": "ORGANISATION"}]}).encode()
        answer = panel.client.post("/webhooks/xero", data=body, headers={"x-xero-signature": sign(body, WEBHOOK_KEY)})
        assert answer.status_code == 200
        assert services().directories.peek(connected["tenant_id"]) is None


# --- The fallback to a per-record search, without Flask ---------------------------------------------


class FakeXero:
    """Customers for the directory and for searchTerm, counting calls (a page of the directory is one call)."""

    def __init__(self, contacts: list[Contact], *, directory_fails: bool = False) -> None:
        self.contacts_list = contacts
        self.directory_fails = directory_fails
        self.directory_pages = 0
        self.searches = 0

    def contacts(self, *, search_term=None, where=None, page_size=100, summary_only=False):
        if where is not None:
            assert where == "IsCustomer==true" and summary_only and page_size == service.DIRECTORY_PAGE_SIZE
            if self.directory_fails:
                raise XeroUnavailable("GET Contacts: 503")
            return self._paged(page_size)
        self.searches += 1
        return [contact for contact in self.contacts_list if search_term.casefold() in contact.email.casefold()]

    def _paged(self, page_size):
        for start in range(0, len(self.contacts_list), page_size):
            self.directory_pages += 1
            yield from self.contacts_list[start:start + page_size]


class MemoryCache(dict):
    def get(self, key):
        return super().get(key)

    def get_many(self, *keys):
        return [dict.get(self, key) for key in keys]

    def set(self, key, value, timeout=None):
        self[key] = value
        return True

    def delete(self, key):
        return self.pop(key, None) is not None


def customer(number: int, **fields) -> Contact:
    return Contact(f"id-{number}", f"Customer {number}", f"c{number}@example.test", is_customer=True, **fields)


def match(xero: FakeXero, email: str, directories: CustomerDirectories | None = None):
    directories = directories or CustomerDirectories(MemoryCache())
    def directory():
        try:
            return directories.get("tenant", lambda: xero)
        except XeroUnavailable:
            return None

    return find_contact(MatchInput((RecordKey("contact", "1"),), email=email), linked=lambda record: None,
                        search=lambda text: xero.contacts(search_term=text), directory=directory)


def test_the_directory_matches_email_in_any_case_and_only_active_customers():
    xero = FakeXero([customer(1), customer(2, status=ContactStatus.ARCHIVED),
                     Contact("id-3", "Supplier", "c3@example.test", is_customer=False)])
    directories = CustomerDirectories(MemoryCache())
    found = match(xero, "  C1@EXAMPLE.TEST ", directories)
    assert (found.method, found.contact_id) == (MatchMethod.EMAIL, "id-1")
    assert match(xero, "c2@example.test", directories).method is MatchMethod.NONE
    assert match(xero, "c3@example.test", directories).method is MatchMethod.NONE
    assert (xero.directory_pages, xero.searches) == (1, 0), "one page, shared by every match"


def test_a_directory_over_the_page_limit_falls_back_to_a_search_per_record(monkeypatch):
    monkeypatch.setattr(service, "DIRECTORY_PAGE_SIZE", 2)
    monkeypatch.setattr(service, "DIRECTORY_MAX_PAGES", 2)
    xero = FakeXero([customer(number) for number in range(5)])
    directories = CustomerDirectories(MemoryCache())
    assert match(xero, "c4@example.test", directories).contact_id == "id-4"
    assert xero.searches == 1 and xero.directory_pages == 3, "gave up on the third page"
    assert match(xero, "c3@example.test", directories).contact_id == "id-3"
    assert xero.directory_pages == 3, "'too large' is remembered too"


def test_an_unavailable_directory_falls_back_to_a_search_per_record():
    xero = FakeXero([customer(1)], directory_fails=True)
    assert match(xero, "c1@example.test").contact_id == "id-1"
    assert xero.searches == 1


# --- Keeping the directory current without fetching it whole ----------------------------------------------------


class ChangingContacts:
    """Customers, each with when it was last modified; If-Modified-Since lists only those modified after."""

    def __init__(self, clock, count: int) -> None:
        self.clock = clock
        self.known = {f"id-{number}": (customer(number), clock.now()) for number in range(count)}
        self.calls: list[str] = []

    def contacts(self, *, where=None, page_size=100, summary_only=False, include_archived=False,
                      if_modified_since=None, search_term=None):
        listed = [contact for contact, when in self.known.values()
                  if if_modified_since is None or when > if_modified_since]
        self.calls.append("changed since" if if_modified_since is not None else "whole")
        return listed

    def change(self, contact: Contact) -> None:
        self.known[contact.contact_id] = (contact, self.clock.now())


def test_a_directory_past_its_ttl_is_revalidated_with_one_call_that_lists_what_changed(clock):
    from plugin.runtime.cache import in_process

    xero = ChangingContacts(clock, 3)
    directories = CustomerDirectories(in_process(clock=clock), clock=clock)
    directories.get("tenant", lambda: xero)
    clock.advance(60)
    xero.change(Contact("id-9", "Customer 9", "new@example.test", is_customer=True))
    xero.change(Contact("id-1", "Customer 1", "c1@example.test", is_customer=False))  # no longer a customer
    clock.advance(service.DIRECTORY_TTL)
    directory = directories.get("tenant", lambda: xero)
    assert xero.calls == ["whole", "changed since"]
    assert "id-9" in directory.contact_ids and "id-1" not in directory.contact_ids and "id-2" in directory.contact_ids


def test_while_webhooks_flow_the_directory_stays_current_up_to_the_trust_limit(clock):
    from plugin.runtime.cache import in_process

    xero = ChangingContacts(clock, 3)
    directories = CustomerDirectories(in_process(clock=clock), clock=clock, trusted=lambda tenant_id: True)
    directories.get("tenant", lambda: xero)
    clock.advance(service.DIRECTORY_TTL + 60)
    directories.get("tenant", lambda: xero)
    assert xero.calls == ["whole"], "a CONTACT webhook would have said it changed"
    clock.advance(3600)
    directories.get("tenant", lambda: xero)
    assert xero.calls == ["whole", "changed since"]


def test_a_contact_change_marks_the_directory_for_revalidation_not_a_whole_fetch(clock):
    from plugin.runtime.cache import in_process

    xero = ChangingContacts(clock, 3)
    directories = CustomerDirectories(in_process(clock=clock), clock=clock, trusted=lambda tenant_id: True)
    directories.get("tenant", lambda: xero)
    directories.drop("tenant")
    assert directories.peek("tenant") is None
    directories.get("tenant", lambda: xero)
    assert xero.calls == ["whole", "changed since"]
