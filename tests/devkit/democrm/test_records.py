"""The CRM's records are made so that every state of the panel is one click away."""

from __future__ import annotations

from devkit.democrm.records import USERS, build_directory, user_by_id
from plugin.domain.models import Contact

CUSTOMERS = [
    Contact("x1", "Wellington Harbour Events Trust", "finance@harbourevents.example", "Aroha", "Ngata", True),
    Contact("x2", "Harbour Group Ltd", "accounts@harbourgroup.example", "Tom", "Reilly", True),
    Contact("x3", "Harbour Group Holdings", "accounts@harbourgroup.example", "Tom", "Reilly", True),
    Contact("x4", "<script>alert(1)</script> Ltd", "mallory@script.example", "Mallory", "Test", True),
    Contact("x5", "Bluebird Bakery", "priya@bluebird.example", "", "", True),
    Contact("x6", "Cuba Street Cycles", "", "", "", True),
]


def test_every_customer_with_an_email_becomes_a_contact_at_its_company():
    directory = build_directory(CUSTOMERS)
    emails = {contact.email.lower(): contact.company for contact in directory.contacts}
    assert emails["finance@harbourevents.example"] == "Wellington Harbour Events Trust"
    assert emails["priya@bluebird.example"] == "Bluebird Bakery"


def test_a_contact_without_a_person_is_named_after_its_email():
    directory = build_directory(CUSTOMERS)
    assert any(contact.name == "Priya" for contact in directory.contacts)


def test_every_customer_company_becomes_an_account_matching_by_name():
    names = {account.name for account in build_directory(CUSTOMERS).accounts}
    assert {customer.name for customer in CUSTOMERS} <= names


def test_there_is_a_contact_and_an_account_that_match_nothing():
    directory = build_directory(CUSTOMERS)
    known_emails = {customer.email.lower() for customer in CUSTOMERS}
    known_names = {customer.name for customer in CUSTOMERS}
    assert any(contact.email.lower() not in known_emails for contact in directory.contacts)
    assert any(account.name not in known_names for account in directory.accounts)


def test_two_contacts_share_an_email_when_two_customers_do():
    emails = [contact.email for contact in build_directory(CUSTOMERS).contacts]
    assert emails.count("accounts@harbourgroup.example") == 2


def test_one_contact_keeps_its_email_in_capitals_to_show_case_blind_matching():
    assert any(c.email.isupper() for c in build_directory(CUSTOMERS).contacts)


def test_an_html_looking_name_is_kept_verbatim_or_added_when_the_seed_has_none():
    with_markup = build_directory(CUSTOMERS)
    assert any("<script>" in account.name for account in with_markup.accounts)
    without_markup = build_directory(CUSTOMERS[:2])
    assert any("<" in contact.name for contact in without_markup.contacts)


def test_deals_link_an_account_and_a_contact_and_say_so_in_their_claims():
    deal = build_directory(CUSTOMERS).deals[0]
    claims = deal.claims()
    assert claims["type"] == "deal"
    assert claims["account"] == {"id": deal.account.id, "name": deal.account.name}
    assert claims["contact"]["email"] == deal.contact.email
    assert claims["company"] == deal.account.name


def test_contact_and_account_claims_carry_what_the_panel_matches_on():
    directory = build_directory(CUSTOMERS)
    contact, account = directory.contacts[0], directory.accounts[0]
    assert contact.claims() == {"type": "contact", "id": contact.id, "name": contact.name,
                                "email": contact.email, "company": contact.company}
    assert account.claims()["company"] == account.name
    assert "account" not in contact.claims()


def test_the_same_customers_give_the_same_ids():
    first, second = build_directory(CUSTOMERS), build_directory(CUSTOMERS)
    assert [c.id for c in first.contacts] == [c.id for c in second.contacts]


def test_customers_may_come_as_xero_json():
    directory = build_directory([{"Name": "Bluebird Bakery", "EmailAddress": "priya@bluebird.example"}])
    assert directory.contacts[0].email == "priya@bluebird.example"


def test_the_user_picker_offers_an_admin_and_a_rep():
    roles = {user.role for user in USERS}
    assert roles == {"admin", "member"}
    assert user_by_id("nobody") is None
