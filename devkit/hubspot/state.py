"""What the small HubSpot knows: portals, their users, contacts, companies and deals, one registered app, and the
OAuth codes and tokens it has issued. In memory, behind one lock.

Two portals: "Acme HubSpot" gets the demo CRM's people and companies (so their emails and names match the Xero
emulator's customers), and "Globex HubSpot" has records of its own under ids the first portal does not have, for
checking that one portal's token never reads another's records.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

ACCESS_SECONDS = 1800
ACME_ID = 3001
GLOBEX_ID = 4002
ADMIN_ID = 301
REP_ID = 302
GLOBEX_ADMIN_ID = 401
GLOBEX_FIRST_ID = 9001
TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3"}


@dataclass
class User:
    id: int
    first: str
    last: str
    email: str
    super_admin: bool
    locale: str = "en-nz"

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    def as_json(self) -> dict[str, Any]:
        return {"id": str(self.id), "email": self.email, "firstName": self.first, "lastName": self.last,
                "superAdmin": self.super_admin, "roleIds": [], "primaryTeamId": None}


@dataclass
class Portal:
    id: int
    name: str
    timezone: str = "Pacific/Auckland"
    users: dict[int, User] = field(default_factory=dict)
    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    companies: dict[int, dict[str, Any]] = field(default_factory=dict)
    deals: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass
class App:
    client_id: str = "devkit-hubspot-client"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    app_id: str = "777001"
    redirect_uri: str = ""
    panel_url: str = ""  # the panel's PUBLIC_URL: where the card's hubspot.fetch calls go


@dataclass
class Grant:
    portal_id: int
    user_id: int


class HubSpotState:
    def __init__(self, *, app: App | None = None, now: Callable[[], float] = time.time) -> None:
        self.lock = threading.RLock()
        self.app = app or App()
        self.now = now
        self.portals: dict[int, Portal] = {}
        self.codes: dict[str, tuple[Grant, str]] = {}
        self.access_tokens: dict[str, tuple[Grant, float]] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.installed: set[int] = set()
        self.calls: list[str] = []
        self.fail_next: list[int] = []

    def seed(self, directory: Any | None = None) -> None:
        acme = Portal(ACME_ID, "Acme HubSpot", users={
            ADMIN_ID: User(ADMIN_ID, "Ada", "Admin", "ada.admin@acme-crm.example", True),
            REP_ID: User(REP_ID, "Sam", "Rep", "sam.rep@acme-crm.example", False),
        })
        if directory is not None:
            _copy_directory(acme, directory)
        globex = Portal(GLOBEX_ID, "Globex HubSpot", timezone="Europe/London", users={
            GLOBEX_ADMIN_ID: User(GLOBEX_ADMIN_ID, "Olga", "Other", "olga@globex-hubspot.example", True),
        })
        first_email = next((c["properties"]["email"] for c in acme.contacts.values() if c["properties"]["email"]),
                           "x@example.com")
        globex.companies[GLOBEX_FIRST_ID] = _company(GLOBEX_FIRST_ID, "Globex Secret Holdings")
        globex.contacts[GLOBEX_FIRST_ID] = _contact(GLOBEX_FIRST_ID, "Gloria Globex", first_email, GLOBEX_FIRST_ID)
        globex.deals[GLOBEX_FIRST_ID] = _deal(GLOBEX_FIRST_ID, "Globex secret deal", GLOBEX_FIRST_ID, GLOBEX_FIRST_ID)
        with self.lock:
            self.portals = {acme.id: acme, globex.id: globex}

    def portal(self, portal_id: int) -> Portal:
        return self.portals[portal_id]

    def users(self) -> Iterable[tuple[Portal, User]]:
        for portal in self.portals.values():
            for user in portal.users.values():
                yield portal, user

    def issue_code(self, grant: Grant, redirect_uri: str) -> str:
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = (grant, redirect_uri)
        return code

    def redeem_code(self, code: str, redirect_uri: str) -> dict[str, Any] | None:
        with self.lock:
            entry = self.codes.pop(code, None)  # single use
            if entry is None or entry[1] != redirect_uri:
                return None
            self.installed.add(entry[0].portal_id)
            return self._token_set(entry[0])

    def refresh(self, refresh_token: str) -> dict[str, Any] | None:
        with self.lock:
            grant = self.refresh_tokens.get(refresh_token)
            if grant is None:
                return None
            access = secrets.token_urlsafe(32)
            self.access_tokens[access] = (grant, self.now() + ACCESS_SECONDS)
            return {"access_token": access, "refresh_token": refresh_token, "expires_in": ACCESS_SECONDS,
                    "token_type": "bearer"}

    def grant_for(self, access_token: str) -> Grant | None:
        with self.lock:
            entry = self.access_tokens.get(access_token)
            return entry[0] if entry and entry[1] > self.now() else None

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access_tokens = {token: (grant, 0.0) for token, (grant, _) in self.access_tokens.items()}

    def _token_set(self, grant: Grant) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.access_tokens[access] = (grant, self.now() + ACCESS_SECONDS)
        self.refresh_tokens[refresh] = grant
        return {"access_token": access, "refresh_token": refresh, "expires_in": ACCESS_SECONDS,
                "token_type": "bearer"}


def _copy_directory(portal: Portal, directory: Any) -> None:
    for account in getattr(directory, "accounts", ()):
        portal.companies[int(account.id)] = _company(int(account.id), account.name)
    for contact in getattr(directory, "contacts", ()):
        company = getattr(contact, "account", None)
        portal.contacts[int(contact.id)] = _contact(int(contact.id), contact.name, contact.email,
                                                    int(company.id) if company is not None else None)
    for deal in getattr(directory, "deals", ()):
        contact = getattr(deal, "contact", None)
        portal.deals[int(deal.id)] = _deal(int(deal.id), deal.name, int(contact.id) if contact is not None else None,
                                           int(deal.account.id))


def _associations(**kinds: int | None) -> dict[str, Any]:
    return {kind: {"results": [{"id": str(found), "type": f"to_{kind}"}]} for kind, found in kinds.items() if found}


def _contact(contact_id: int, name: str, email: str, company_id: int | None) -> dict[str, Any]:
    first, _, last = name.partition(" ")
    return {"id": str(contact_id), "properties": {"email": email, "firstname": first, "lastname": last},
            "associations": _associations(companies=company_id), "archived": False}


def _company(company_id: int, name: str) -> dict[str, Any]:
    return {"id": str(company_id), "properties": {"name": name, "domain": ""}, "archived": False}


def _deal(deal_id: int, name: str, contact_id: int | None, company_id: int | None) -> dict[str, Any]:
    return {"id": str(deal_id), "properties": {"dealname": name},
            "associations": _associations(contacts=contact_id, companies=company_id), "archived": False}
