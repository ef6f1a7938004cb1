"""What the small Freshsales knows: one account (its domain and API key), its users, and contacts, sales accounts
and deals made from the demo CRM's records (so their names and emails match the Xero emulator's customers), with
Freshsales-style numeric ids. Plus the app's installation parameters, as an admin would have filled them in.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

DOMAIN = "acme.myfreshworks.com"
ADMIN_ID = 9001
REP_ID = 9002
REP_DE_ID = 9003
LEFT_ID = 9004  # a user who has left: inactive in Freshsales
CONTACT_BASE, ACCOUNT_BASE, DEAL_BASE = 1000, 2000, 3000
ADMIN_ABILITIES = ("manage_contacts", "view_contacts", "view_sales_accounts", "view_deals", "common_user_actions",
                   "manage_admin_settings")
MEMBER_ABILITIES = ("manage_contacts", "view_contacts", "view_sales_accounts", "view_deals", "common_user_actions")


@dataclass
class User:
    id: int
    display_name: str
    email: str
    admin: bool
    language: str = "en"
    time_zone: str = "Wellington"
    is_active: bool = True

    def owner_json(self) -> dict[str, Any]:
        """As GET /crm/sales/api/selector/owners lists a user."""
        return {"id": self.id, "display_name": self.display_name, "email": self.email, "is_active": self.is_active,
                "work_number": None, "mobile_number": None}

    def logged_in_user(self) -> dict[str, Any]:
        """As the FDK data method loggedInUser returns it (the fields the app reads, and a few more)."""
        return {"id": self.id, "display_name": self.display_name, "email": self.email, "is_active": self.is_active,
                "language": self.language, "time_zone": self.time_zone, "role_id": 1 if self.admin else 2,
                "abilities": list(ADMIN_ABILITIES if self.admin else MEMBER_ABILITIES), "account_id": 1594363054}


@dataclass
class FreshsalesState:
    domain: str = DOMAIN
    api_key: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    iparams: dict[str, str] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    sales_accounts: dict[int, dict[str, Any]] = field(default_factory=dict)
    deals: dict[int, dict[str, Any]] = field(default_factory=dict)
    instances: dict[str, dict[str, Any]] = field(default_factory=dict)
    api_calls: list[str] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        for user in (User(ADMIN_ID, "Ada Admin", "ada.admin@acme-crm.example", True),
                     User(REP_ID, "Sam Rep", "sam.rep@acme-crm.example", False),
                     User(REP_DE_ID, "Lena Vertrieb", "lena@acme-crm.example", False, "de", "Berlin"),
                     User(LEFT_ID, "Lee Left", "lee.left@acme-crm.example", False, is_active=False)):
            self.users[user.id] = user

    def seed(self, directory: Any) -> None:
        """Contacts, sales accounts and deals from the demo CRM's directory (devkit.democrm.records)."""
        account_ids = {}
        for n, account in enumerate(directory.accounts, start=1):
            account_ids[account.id] = ACCOUNT_BASE + n
            self.sales_accounts[ACCOUNT_BASE + n] = {"id": ACCOUNT_BASE + n, "name": account.name,
                                                     "website": account.website, "city": account.city}
        contact_ids = {}
        for n, contact in enumerate(directory.contacts, start=1):
            contact_ids[contact.id] = CONTACT_BASE + n
            first, _, last = contact.name.partition(" ")
            accounts = ([{"id": account_ids[contact.account.id], "name": contact.account.name, "is_primary": True}]
                        if contact.account else [])
            self.contacts[CONTACT_BASE + n] = {
                "id": CONTACT_BASE + n, "first_name": first, "last_name": last, "display_name": contact.name,
                "email": contact.email, "job_title": contact.title, "sales_accounts": accounts}
        for n, deal in enumerate(directory.deals, start=1):
            self.deals[DEAL_BASE + n] = {
                "id": DEAL_BASE + n, "name": deal.name, "amount": deal.amount, "stage": deal.stage,
                "sales_account_id": account_ids[deal.account.id],
                "contact_ids": [contact_ids[deal.contact.id]] if deal.contact else []}

    def install(self, *, panel_url: str, secret: str) -> None:
        """The app's installation parameters, as the installing admin fills them in."""
        self.iparams = {"panel_url": panel_url, "panel_secret": secret, "freshsales_domain": self.domain,
                        "freshsales_api_key": self.api_key}

    def open_instance(self, entity_type: str, entity_id: int, user: User) -> str:
        """One placeholder rendered for one user on one record; the stub client reads it by id."""
        instance = secrets.token_urlsafe(12)
        with self.lock:
            self.instances[instance] = {"entity_type": entity_type, "entity_id": entity_id, "user_id": user.id}
        return instance
