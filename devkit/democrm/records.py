"""The demo CRM's records: contacts, accounts (companies) and deals, made from the emulator's customers.

The directory is built so that every state of the panel can be reached from a CRM page: contacts that
match a Xero customer by email (one in different letter case), accounts that match by company name,
records that match nothing (the search-and-link state), two contacts sharing an email, and a name that
looks like HTML (it must come out as text everywhere).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ADMIN_ID = "admin"
REP_ID = "rep"


@dataclass(frozen=True, slots=True)
class CrmUser:
    id: str
    name: str
    email: str
    role: str  # "admin" or "member", as in the context claims
    locale: str = "en-NZ"
    timezone: str = "Pacific/Auckland"
    title: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def claims(self) -> dict[str, str]:
        return {"id": self.id, "email": self.email, "name": self.name, "role": self.role,
                "locale": self.locale, "tz": self.timezone}


USERS: tuple[CrmUser, ...] = (
    CrmUser(ADMIN_ID, "Ada Admin", "ada.admin@acme-crm.example", "admin", title="Workspace admin"),
    CrmUser(REP_ID, "Sam Rep", "sam.rep@acme-crm.example", "member", title="Account executive"),
    CrmUser("rep-de", "Lena Vertrieb", "lena@acme-crm.example", "member", "de-DE", "Europe/Berlin",
            title="Vertrieb (de-DE)"),
)


def user_by_id(user_id: str | None) -> CrmUser | None:
    return next((user for user in USERS if user.id == user_id), None)


@dataclass(frozen=True, slots=True)
class CrmAccount:
    id: str
    name: str
    industry: str = ""
    website: str = ""
    city: str = ""
    note: str = ""  # what the demo shows with this record

    type = "account"

    def claims(self) -> dict[str, Any]:
        return {"type": "account", "id": self.id, "name": self.name, "email": "", "company": self.name}


@dataclass(frozen=True, slots=True)
class CrmContact:
    id: str
    name: str
    email: str
    title: str = ""
    phone: str = ""
    account: CrmAccount | None = None
    note: str = ""

    type = "contact"

    @property
    def company(self) -> str:
        return self.account.name if self.account else ""

    def claims(self) -> dict[str, Any]:
        return {"type": "contact", "id": self.id, "name": self.name, "email": self.email, "company": self.company}


@dataclass(frozen=True, slots=True)
class CrmDeal:
    id: str
    name: str
    stage: str
    amount: str  # display text in the CRM's own words, e.g. "NZ$12,000"
    account: CrmAccount
    contact: CrmContact | None = None
    note: str = ""

    type = "deal"

    @property
    def email(self) -> str:
        return self.contact.email if self.contact else ""

    def claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "type": "deal", "id": self.id, "name": self.name, "email": self.email, "company": self.account.name,
            "account": {"id": self.account.id, "name": self.account.name},
        }
        if self.contact:
            claims["contact"] = {"id": self.contact.id, "name": self.contact.name, "email": self.contact.email,
                                 "company": self.contact.company}
        return claims


Record = CrmContact | CrmAccount | CrmDeal


@dataclass(frozen=True, slots=True)
class Customer:
    """What the CRM needs to know of one Xero customer: its name and email."""

    name: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    city: str = ""

    @classmethod
    def of(cls, value: Any) -> Customer:
        """Accept an object with contact attributes (e.g. the panel's Contact model), a Xero-shaped JSON dict or a
        snake_case dict."""
        if isinstance(value, Customer):
            return value
        if isinstance(value, Mapping):
            def pick(*keys: str) -> str:
                return next((str(value[key]) for key in keys if value.get(key)), "")
            return cls(pick("Name", "name"), pick("EmailAddress", "email", "email_address"),
                       pick("FirstName", "first_name"), pick("LastName", "last_name"), pick("phone"), pick("city"))
        def attr(name: str) -> str:
            return str(getattr(value, name, "") or "")
        return cls(attr("name"), attr("email"), attr("first_name"), attr("last_name"), attr("phone"), attr("city"))

    @property
    def person_name(self) -> str:
        """A person to put in the CRM: the Xero contact person, else one made from the email."""
        given = f"{self.first_name} {self.last_name}".strip()
        if given:
            return given
        local = self.email.split("@", 1)[0]
        words = [word for word in local.replace("_", ".").replace("-", ".").split(".") if word]
        return " ".join(word.capitalize() for word in words) or self.name


@dataclass
class Directory:
    contacts: list[CrmContact] = field(default_factory=list)
    accounts: list[CrmAccount] = field(default_factory=list)
    deals: list[CrmDeal] = field(default_factory=list)

    def find(self, kind: str, record_id: str) -> Record | None:
        records: list[Any] = {"contact": self.contacts, "account": self.accounts, "deal": self.deals}[kind]
        return next((record for record in records if record.id == record_id), None)

    def contacts_of(self, account: CrmAccount) -> list[CrmContact]:
        return [contact for contact in self.contacts if contact.account == account]

    def deals_of(self, record: CrmAccount | CrmContact) -> list[CrmDeal]:
        return [deal for deal in self.deals if record in (deal.account, deal.contact)]


# Records that match nothing in Xero, and the name that looks like markup.
UNMATCHED_ACCOUNT = ("Globex Unlisted Corporation", "Manufacturing", "globex-unlisted.example", "Springfield")
UNMATCHED_CONTACT = ("Nora Nomatch", "nora.nomatch@nowhere.example", "Procurement lead")
HTML_LOOKING_NAME = '<b>Bold</b> & "Quoted" <script>alert(1)</script>'

INDUSTRIES = ("Hospitality", "Retail", "Construction", "Software", "Logistics", "Health", "Education", "Media")
CITIES = ("Auckland", "Wellington", "Christchurch", "Sydney", "Melbourne", "London", "Berlin", "Tokyo")
STAGES = ("Qualified", "Proposal sent", "Negotiation", "Won", "Discovery")
TITLES = ("Office manager", "Finance director", "Owner", "Accounts payable", "Operations lead", "CEO")


def build_directory(customers: Iterable[Any]) -> Directory:
    """Turn the emulator's customers into CRM records (deterministic for a given list)."""
    seen: set[tuple[str, str]] = set()
    unique: list[Customer] = []
    for customer in map(Customer.of, customers):
        if customer.name and (customer.name, customer.email) not in seen:
            seen.add((customer.name, customer.email))
            unique.append(customer)
    directory = Directory()
    _add_accounts(directory, unique)
    _add_contacts(directory, unique)
    _add_special_records(directory, unique)
    _add_deals(directory)
    return directory


def _add_accounts(directory: Directory, customers: list[Customer]) -> None:
    for customer in customers:
        if any(account.name == customer.name for account in directory.accounts):
            continue
        n = len(directory.accounts)
        directory.accounts.append(CrmAccount(
            id=str(n + 1), name=customer.name, industry=INDUSTRIES[n % len(INDUSTRIES)],
            website=_website(customer), city=customer.city or CITIES[n % len(CITIES)],
            note="Matches the Xero customer of the same company name."))
    directory.accounts.append(CrmAccount(
        id=str(len(directory.accounts) + 1), name=UNMATCHED_ACCOUNT[0], industry=UNMATCHED_ACCOUNT[1],
        website=UNMATCHED_ACCOUNT[2], city=UNMATCHED_ACCOUNT[3],
        note="No Xero customer has this name: the panel offers a search to link one."))


def _add_contacts(directory: Directory, customers: list[Customer]) -> None:
    shared = _shared_emails(customers)
    shouted = False  # one contact keeps its email in capitals, to show that matching ignores case
    for index, customer in enumerate(c for c in customers if c.email):
        account = next(a for a in directory.accounts if a.name == customer.name)
        email, note = customer.email, "Matches a Xero customer by email."
        if customer.email.lower() in shared:
            note = "Shares its email with another Xero customer: the panel asks which one."
        elif index >= 2 and not shouted and "<" not in customer.name:
            email, note, shouted = customer.email.upper(), "Email in capitals: matching ignores letter case.", True
        elif "<" in customer.name:
            note = "Its company name looks like HTML: it must show as plain text."
        directory.contacts.append(CrmContact(
            id=str(len(directory.contacts) + 1), name=customer.person_name, email=email,
            title=TITLES[index % len(TITLES)], phone=customer.phone or _phone(index), account=account, note=note))


def _add_special_records(directory: Directory, customers: list[Customer]) -> None:
    unmatched_account = directory.accounts[-1]
    directory.contacts.append(CrmContact(
        id=str(len(directory.contacts) + 1), name=UNMATCHED_CONTACT[0], email=UNMATCHED_CONTACT[1],
        title=UNMATCHED_CONTACT[2], phone=_phone(97), account=unmatched_account,
        note="No Xero customer has this email: the panel offers a search to link one."))
    with_email = [c for c in customers if c.email]
    if with_email and not any("<" in record.name for record in [*directory.contacts, *directory.accounts]):
        first = with_email[0]
        account = next(a for a in directory.accounts if a.name == first.name)
        directory.contacts.append(CrmContact(
            id=str(len(directory.contacts) + 1), name=HTML_LOOKING_NAME, email=first.email,
            title="Tester", phone=_phone(98), account=account,
            note="A name that looks like HTML: it must show as plain text."))


def _add_deals(directory: Directory) -> None:
    for index, account in enumerate(directory.accounts[:6] + directory.accounts[-1:]):
        contacts = directory.contacts_of(account)
        directory.deals.append(CrmDeal(
            id=str(len(directory.deals) + 1), name=f"{account.name} — {('Renewal', 'Expansion')[index % 2]}",
            stage=STAGES[index % len(STAGES)], amount=f"NZ${(index + 2) * 4_500:,}", account=account,
            contact=contacts[0] if contacts else None,
            note="A deal shows the invoices of its account and contact."))


def _shared_emails(customers: list[Customer]) -> set[str]:
    counts: dict[str, int] = {}
    for customer in customers:
        if customer.email:
            counts[customer.email.lower()] = counts.get(customer.email.lower(), 0) + 1
    return {email for email, count in counts.items() if count > 1}


def _website(customer: Customer) -> str:
    return customer.email.split("@", 1)[1] if "@" in customer.email else ""


def _phone(index: int) -> str:
    return f"+64 9 555 {1000 + index * 37:04d}"
