"""What the small Pipedrive knows: companies, their users, persons, organizations and deals, one registered app,
and the OAuth codes and tokens it has issued. In memory, behind one lock.

Two companies: "Acme Pipedrive" gets the same people and companies as the demo CRM (so their emails and names
match the Xero emulator's customers), and "Globex Pipedrive" has records of its own under ids the first company
does not have, for checking that one company's token never reads another's records.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

ACCESS_SECONDS = 3600
CODE_SECONDS = 300
ACME_ID = 1001
GLOBEX_ID = 2002
ADMIN_ID = 101
REP_ID = 102
REP_DE_ID = 103
GLOBEX_ADMIN_ID = 201
GLOBEX_FIRST_ID = 5001


@dataclass
class User:
    id: int
    name: str
    email: str
    is_admin: bool
    locale: str = "en_NZ"
    timezone_name: str = "Pacific/Auckland"

    def as_json(self, company: Company) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "email": self.email, "is_admin": 1 if self.is_admin else 0,
                "locale": self.locale, "timezone_name": self.timezone_name, "company_id": company.id,
                "company_name": company.name, "active_flag": True}


@dataclass
class Company:
    id: int
    name: str
    users: dict[int, User] = field(default_factory=dict)
    persons: dict[int, dict[str, Any]] = field(default_factory=dict)
    organizations: dict[int, dict[str, Any]] = field(default_factory=dict)
    deals: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass
class App:
    client_id: str = "devkit-pipedrive-client"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    jwt_secret: str = ""  # empty: tokens are signed with the client secret, as Pipedrive does
    redirect_uri: str = ""
    panel_url: str = ""
    settings_url: str = ""
    install_url: str = ""
    uninstall_url: str = ""

    @property
    def signing_secret(self) -> str:
        return self.jwt_secret or self.client_secret


@dataclass
class Grant:
    company_id: int
    user_id: int
    scope: str = "base contacts:read deals:read users:read"


@dataclass
class AccessToken:
    grant: Grant
    expires_at: float


class PipedriveState:
    def __init__(self, *, app: App | None = None, now: Callable[[], float] = time.time) -> None:
        self.lock = threading.RLock()
        self.app = app or App()
        self.now = now
        self.companies: dict[int, Company] = {}
        self.codes: dict[str, tuple[Grant, float, str]] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.used_refresh_tokens: set[str] = set()
        self.installed: set[int] = set()
        self.calls: list[str] = []
        self.fail_next: list[int] = []  # status codes for the next API answers (0 = drop the connection)
        self.access_seconds = ACCESS_SECONDS
        self.uninstall_deliveries: list[dict[str, Any]] = []

    # -- seeding -----------------------------------------------------------------------------------------------

    def seed(self, directory: Any | None = None) -> None:
        """Acme gets `directory`'s contacts, accounts and deals (the demo CRM's), under the same ids; Globex its own."""
        acme = Company(ACME_ID, "Acme Pipedrive", users={
            ADMIN_ID: User(ADMIN_ID, "Ada Admin", "ada.admin@acme-crm.example", True),
            REP_ID: User(REP_ID, "Sam Rep", "sam.rep@acme-crm.example", False),
            REP_DE_ID: User(REP_DE_ID, "Lena Vertrieb", "lena@acme-crm.example", False, "de_DE", "Europe/Berlin"),
        })
        if directory is not None:
            _copy_directory(acme, directory)
        globex = Company(GLOBEX_ID, "Globex Pipedrive", users={
            GLOBEX_ADMIN_ID: User(GLOBEX_ADMIN_ID, "Olga Other", "olga@globex-pipedrive.example", True),
        })
        first_email = next((p["emails"][0]["value"] for p in acme.persons.values() if p["emails"]), "x@example.com")
        globex.organizations[GLOBEX_FIRST_ID] = _organization(GLOBEX_FIRST_ID, "Globex Secret Holdings")
        globex.persons[GLOBEX_FIRST_ID] = _person(GLOBEX_FIRST_ID, "Gloria Globex", first_email, GLOBEX_FIRST_ID)
        globex.deals[GLOBEX_FIRST_ID] = _deal(GLOBEX_FIRST_ID, "Globex secret deal", GLOBEX_FIRST_ID, GLOBEX_FIRST_ID)
        with self.lock:
            self.companies = {acme.id: acme, globex.id: globex}

    def company(self, company_id: int) -> Company:
        return self.companies[company_id]

    def user(self, company_id: int, user_id: int) -> User | None:
        company = self.companies.get(company_id)
        return company.users.get(user_id) if company else None

    def users(self) -> Iterable[tuple[Company, User]]:
        for company in self.companies.values():
            for user in company.users.values():
                yield company, user

    # -- OAuth -------------------------------------------------------------------------------------------------

    def issue_code(self, grant: Grant, redirect_uri: str) -> str:
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = (grant, self.now() + CODE_SECONDS, redirect_uri)
        return code

    def redeem_code(self, code: str, redirect_uri: str) -> dict[str, Any] | None:
        with self.lock:
            entry = self.codes.pop(code, None)  # single use
            if entry is None or entry[1] < self.now() or entry[2] != redirect_uri:
                return None
            self.installed.add(entry[0].company_id)
            return self._token_set(entry[0])

    def rotate(self, refresh_token: str) -> dict[str, Any] | None:
        """A refresh: the refresh token is used up and a new one issued (rotation)."""
        with self.lock:
            grant = self.refresh_tokens.pop(refresh_token, None)
            if grant is None:
                return None
            self.used_refresh_tokens.add(refresh_token)
            return self._token_set(grant)

    def revoke(self, token: str) -> None:
        with self.lock:
            self.refresh_tokens.pop(token, None)
            self.access_tokens.pop(token, None)

    def uninstall(self, company_id: int) -> None:
        with self.lock:
            self.installed.discard(company_id)
            for token in [t for t, g in self.refresh_tokens.items() if g.company_id == company_id]:
                del self.refresh_tokens[token]
            for token in [t for t, a in self.access_tokens.items() if a.grant.company_id == company_id]:
                del self.access_tokens[token]

    def expire_access_tokens(self) -> None:
        with self.lock:
            for token in self.access_tokens.values():
                token.expires_at = 0

    def grant_for(self, access_token: str) -> Grant | None:
        with self.lock:
            entry = self.access_tokens.get(access_token)
            if entry is None or entry.expires_at <= self.now():
                return None
            return entry.grant

    def _token_set(self, grant: Grant) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.access_tokens[access] = AccessToken(grant, self.now() + self.access_seconds)
        self.refresh_tokens[refresh] = grant
        return {"access_token": access, "token_type": "Bearer", "refresh_token": refresh,
                "expires_in": self.access_seconds, "scope": grant.scope}


def _copy_directory(company: Company, directory: Any) -> None:
    for account in getattr(directory, "accounts", ()):
        company.organizations[int(account.id)] = _organization(int(account.id), account.name)
    for contact in getattr(directory, "contacts", ()):
        org = getattr(contact, "account", None)
        company.persons[int(contact.id)] = _person(int(contact.id), contact.name, contact.email,
                                                   int(org.id) if org is not None else None)
    for deal in getattr(directory, "deals", ()):
        person = getattr(deal, "contact", None)
        company.deals[int(deal.id)] = _deal(int(deal.id), deal.name, int(person.id) if person is not None else None,
                                            int(deal.account.id))


def _person(person_id: int, name: str, email: str, org_id: int | None) -> dict[str, Any]:
    emails = [{"value": email, "primary": True, "label": "work"}] if email else []
    return {"id": person_id, "name": name, "emails": emails, "phones": [], "org_id": org_id, "is_deleted": False}


def _organization(org_id: int, name: str) -> dict[str, Any]:
    return {"id": org_id, "name": name, "is_deleted": False}


def _deal(deal_id: int, title: str, person_id: int | None, org_id: int | None) -> dict[str, Any]:
    return {"id": deal_id, "title": title, "person_id": person_id, "org_id": org_id, "status": "open",
            "is_deleted": False}
