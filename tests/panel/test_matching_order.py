"""Matching doesn't give up early: each record type's rules, in order, and the panel says which one matched."""

from __future__ import annotations

from datetime import UTC, datetime

from plugin.domain.matching import CustomerDirectory, MatchMethod, find_contact
from plugin.domain.models import Contact
from plugin.embed.context import EmbedContext, LinkedRecord, RecordRef, UserInfo
from plugin.panel.loader import match_input

ACME = Contact("id-acme", "Acme Ltd", "accounts@acme.test", is_customer=True)
GLOBEX = Contact("id-globex", "Globex", "billing@globex.test", is_customer=True)
TWIN_A = Contact("id-twin-a", "Reilly Builders", "tom@reilly.test", is_customer=True)
TWIN_B = Contact("id-twin-b", "Reilly Joinery", "tom@reilly.test", is_customer=True)
DIRECTORY = CustomerDirectory.of("tenant", [ACME, GLOBEX, TWIN_A, TWIN_B])


def embed(record: RecordRef) -> EmbedContext:
    return EmbedContext("acct", UserInfo("u1", "rep@crm.test", "Rep", "member"), record, "jti",
                        datetime(2030, 1, 1, tzinfo=UTC))


def match(record: RecordRef, *, directory: CustomerDirectory | None = DIRECTORY, searched: list | None = None):
    def search(text: str):
        if searched is not None:
            searched.append(text)
        needle = text.casefold()
        return [c for c in DIRECTORY.by_name.get(needle, ()) + DIRECTORY.by_email.get(needle, ())]

    return find_contact(match_input(embed(record)), linked=lambda key: None, search=search,
                        directory=lambda: directory)


def test_a_contact_tries_its_email_first():
    found = match(RecordRef("contact", "1", email="ACCOUNTS@acme.test", company="Globex"))
    assert (found.contact_id, found.description) == ("id-acme", "Matched by the contact's email")


def test_a_contact_whose_email_matches_nobody_falls_back_to_its_company():
    found = match(RecordRef("contact", "1", email="nobody@nowhere.test", company="  globex "))
    assert (found.contact_id, found.method) == ("id-globex", MatchMethod.COMPANY)
    assert found.description == "Matched by the contact's company"
    assert "No Xero customer has the email “nobody@nowhere.test” (the contact's email)." in found.tried


def test_a_contact_whose_email_two_customers_share_asks_which():
    found = match(RecordRef("contact", "1", email="tom@reilly.test", company="Acme Ltd"))
    assert found.method is MatchMethod.SEVERAL
    assert {c.contact_id for c in found.candidates} == {"id-twin-a", "id-twin-b"}


def test_an_account_matches_by_its_name():
    found = match(RecordRef("account", "7", name="ACME LTD"))
    assert (found.contact_id, found.description) == ("id-acme", "Matched by the account's name")


def deal(*, contact_email: str = "", account: str = "", contact_company: str = "") -> RecordRef:
    return RecordRef("deal", "9", name="Deal", email=contact_email, company=account,
                     account=LinkedRecord("a1", account) if account else None,
                     contact=LinkedRecord("c1", "Tom", contact_email, company=contact_company))


def test_a_deal_tries_its_contacts_email_then_its_accounts_name_then_its_contacts_company():
    by_email = match(deal(contact_email="accounts@acme.test", account="Globex", contact_company="Globex"))
    assert (by_email.contact_id, by_email.description) == ("id-acme", "Matched by the contact's email")
    by_account = match(deal(contact_email="x@y.test", account="Globex", contact_company="Acme Ltd"))
    assert (by_account.contact_id, by_account.description) == ("id-globex", "Matched by the account's name")
    by_company = match(deal(contact_email="x@y.test", account="Unknown Pty", contact_company="Acme Ltd"))
    assert (by_company.contact_id, by_company.description) == ("id-acme", "Matched by the contact's company")


def test_two_deals_whose_contact_email_is_shared_but_whose_accounts_match_exactly_never_ask():
    first = match(deal(contact_email="tom@reilly.test", account="Reilly Builders"))
    second = match(deal(contact_email="tom@reilly.test", account="reilly joinery"))
    assert (first.contact_id, second.contact_id) == ("id-twin-a", "id-twin-b")
    assert first.description == second.description == "Matched by the account's name"


def test_a_deal_asks_only_when_no_rule_settles_it():
    found = match(deal(contact_email="tom@reilly.test", account="Unknown Pty"))
    assert found.method is MatchMethod.SEVERAL and len(found.candidates) == 2


def test_without_the_directory_the_rules_search_xero_in_the_same_order():
    searched: list[str] = []
    found = match(deal(contact_email="x@y.test", account="Unknown Pty", contact_company="Acme Ltd"), directory=None,
                  searched=searched)
    assert found.description == "Matched by the contact's company"
    assert searched == ["x@y.test", "Unknown Pty", "Acme Ltd"]
