"""What the small Salesforce knows: orgs, their users (with or without the app's admin permission set), Contacts,
Accounts, Opportunities and primary contact roles, the connected app, and the session tokens it has put into signed
requests. In memory, behind one lock.

Two orgs: "Acme" gets the demo CRM's people and companies (so their emails and names match the Xero emulator's
customers), and "Globex" has records of its own, for checking that one org's token never reads another's records.
Ids look like Salesforce's: 18 characters, with the standard objects' key prefixes (001 Account, 003 Contact,
006 Opportunity, 005 User, 00D organization).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SESSION_SECONDS = 2 * 3600


def sf_id(prefix: str, number: int) -> str:
    return f"{prefix}{number:012d}AAA"


ACME_ORG = sf_id("00D", 1)
GLOBEX_ORG = sf_id("00D", 2)
ADMIN_ID = sf_id("005", 1)
REP_ID = sf_id("005", 2)
REP_DE_ID = sf_id("005", 3)
SETUP_ONLY_ID = sf_id("005", 4)  # may read setup, but not assigned the app's permission set
GLOBEX_ADMIN_ID = sf_id("005", 9)
ADMIN_PERMISSION_SET = "Xero_Invoices_Admin"


@dataclass
class User:
    id: str
    name: str
    email: str
    permission_sets: tuple[str, ...] = ()
    view_setup: bool = False  # Salesforce shows PermissionSetAssignment only to such users
    locale: str = "en_NZ"
    time_zone: str = "Pacific/Auckland"

    def context(self) -> dict[str, Any]:
        first, _, last = self.name.partition(" ")
        return {"userId": self.id, "userName": self.email, "firstName": first, "lastName": last,
                "fullName": self.name, "email": self.email, "locale": self.locale, "language": self.locale,
                "timeZone": self.time_zone, "userType": "STANDARD", "accessibilityModeEnabled": False}


@dataclass
class Org:
    id: str
    name: str
    users: dict[str, User] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    opportunities: dict[str, dict[str, Any]] = field(default_factory=dict)
    contact_roles: list[dict[str, Any]] = field(default_factory=list)

    def objects(self, name: str) -> dict[str, dict[str, Any]] | None:
        return {"Account": self.accounts, "Contact": self.contacts, "Opportunity": self.opportunities}.get(name)


@dataclass
class ConnectedApp:
    consumer_key: str = "devkit-salesforce-consumer-key"
    consumer_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    canvas_url: str = ""


@dataclass
class Session:
    org_id: str
    user_id: str
    expires_at: float


class SalesforceState:
    def __init__(self, *, app: ConnectedApp | None = None, now: Callable[[], float] = time.time) -> None:
        self.lock = threading.RLock()
        self.app = app or ConnectedApp()
        self.now = now
        self.orgs: dict[str, Org] = {}
        self.sessions: dict[str, Session] = {}
        self.calls: list[str] = []
        self.fail_next: list[int] = []  # status codes for the next API answers

    # -- seeding -----------------------------------------------------------------------------------------------

    def seed(self, directory: Any | None = None) -> None:
        acme = Org(ACME_ORG, "Acme", users={user.id: user for user in (
            User(ADMIN_ID, "Ada Admin", "ada.admin@acme-crm.example", (ADMIN_PERMISSION_SET,), view_setup=True),
            User(REP_ID, "Sam Rep", "sam.rep@acme-crm.example"),
            User(REP_DE_ID, "Lena Vertrieb", "lena@acme-crm.example", locale="de_DE", time_zone="Europe/Berlin"),
            User(SETUP_ONLY_ID, "Sid Setup", "sid.setup@acme-crm.example", view_setup=True),
        )})
        if directory is not None:
            _copy_directory(acme, directory)
        globex = Org(GLOBEX_ORG, "Globex", users={GLOBEX_ADMIN_ID: User(
            GLOBEX_ADMIN_ID, "Olga Other", "olga@globex-sf.example", (ADMIN_PERMISSION_SET,), view_setup=True)})
        first_email = next((c["Email"] for c in acme.contacts.values() if c["Email"]), "x@example.com")
        account_id, contact_id, opportunity_id = sf_id("001", 9001), sf_id("003", 9001), sf_id("006", 9001)
        globex.accounts[account_id] = {"Id": account_id, "Name": "Globex Secret Holdings"}
        globex.contacts[contact_id] = {"Id": contact_id, "Name": "Gloria Globex", "Email": first_email,
                                       "AccountId": account_id}
        globex.opportunities[opportunity_id] = {"Id": opportunity_id, "Name": "Globex secret deal",
                                                "AccountId": account_id, "ContactId": contact_id}
        with self.lock:
            self.orgs = {acme.id: acme, globex.id: globex}

    def org(self, org_id: str) -> Org:
        return self.orgs[org_id]

    # -- sessions ----------------------------------------------------------------------------------------------

    def open_session(self, org_id: str, user_id: str) -> str:
        """The OAuth token Salesforce puts into a signed request (`client.oauthToken`)."""
        token = f"{org_id[:15]}!{secrets.token_urlsafe(32)}"
        with self.lock:
            self.sessions[token] = Session(org_id, user_id, self.now() + SESSION_SECONDS)
        return token

    def session(self, token: str) -> Session | None:
        with self.lock:
            entry = self.sessions.get(token)
            return entry if entry is not None and entry.expires_at > self.now() else None

    def end_sessions(self) -> None:
        with self.lock:
            self.sessions.clear()

    def delete(self, org_id: str, object_name: str, record_id: str) -> bool:
        with self.lock:
            records = self.orgs[org_id].objects(object_name)
            return records is not None and records.pop(record_id, None) is not None


def _copy_directory(org: Org, directory: Any) -> None:
    for account in getattr(directory, "accounts", ()):
        record_id = sf_id("001", int(account.id))
        org.accounts[record_id] = {"Id": record_id, "Name": account.name}
    for contact in getattr(directory, "contacts", ()):
        record_id = sf_id("003", int(contact.id))
        account = getattr(contact, "account", None)
        org.contacts[record_id] = {"Id": record_id, "Name": contact.name, "Email": contact.email or None,
                                   "AccountId": sf_id("001", int(account.id)) if account is not None else None}
    for index, deal in enumerate(getattr(directory, "deals", ())):
        record_id = sf_id("006", int(deal.id))
        contact = getattr(deal, "contact", None)
        contact_id = sf_id("003", int(contact.id)) if contact is not None else None
        # Half name their contact through a primary OpportunityContactRole, half through the ContactId field.
        by_role = index % 2 == 0 and contact_id is not None
        org.opportunities[record_id] = {"Id": record_id, "Name": deal.name,
                                        "AccountId": sf_id("001", int(deal.account.id)),
                                        "ContactId": None if by_role else contact_id}
        if by_role:
            org.contact_roles.append({"OpportunityId": record_id, "ContactId": contact_id, "IsPrimary": True})
