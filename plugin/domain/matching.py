"""Which Xero customer a CRM record is: stored links first, then the record's rules in order.

Pure rules over what the CRM told us (`MatchInput`) and the organisation's customers: the stored links, the
customer directory (every active customer indexed by email and name) or, when the directory is too large or
unavailable, a search callable that asks Xero. Emails and names compare trimmed, inner white space made one
space, case-folded.

The rules (`MatchRule`, built per record type by the panel's loader) are tried in order and matching does not
give up early: a rule that matches nobody, or several customers, hands over to the next one; the first rule that
matches exactly one customer wins, and the panel says which (`ContactMatch.description`). A rule matching several
asks the rep to choose when it says so (`asks_when_several`, a contact's own email), else only when no later rule
matches exactly one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from plugin.domain.models import Contact, ContactStatus
from plugin.domain.text import N_, Message, Nn_, Said


class MatchMethod(StrEnum):
    LINKED = "linked"
    EMAIL = "email"
    COMPANY = "company"
    NONE = "none"
    SEVERAL = "several"


@dataclass(frozen=True, slots=True)
class RecordKey:
    """A CRM record a link or pin can hang on."""

    type: str
    id: str


@dataclass(frozen=True, slots=True)
class MatchRule:
    """One way to find the customer: compare `value` with customers' email or name. `source` names it for the rep
    ("the contact's email", "the account's name"); `label` is the compared field ("email", "name")."""

    method: MatchMethod  # EMAIL or COMPANY (a customer's name)
    value: str
    source: str
    # Several customers matching this rule: ask the rep now (a contact's own email: the person is one of them),
    # or go on to the next rule first (a deal's contact email: its account's name may settle it).
    asks_when_several: bool = False

    @property
    def label(self) -> str:
        return "email" if self.method is MatchMethod.EMAIL else "name"

    @property
    def whose(self) -> str:
        """" (the contact's company)" in what was tried, when the source says more than the compared field."""
        return f" ({self.source})" if self.source.startswith("the ") else ""


@dataclass(frozen=True, slots=True)
class MatchInput:
    """What the CRM told us about the record: the records links may hang on and the rules to try, in order.

    Without `rules`, the older flat form applies: `email`, then (for an account) `company`."""

    records: tuple[RecordKey, ...]  # the record itself first, then a deal's contact and account
    email: str = ""
    company: str = ""
    is_account: bool = False
    rules: tuple[MatchRule, ...] | None = None


@dataclass(frozen=True, slots=True)
class ContactMatch:
    """The outcome of matching, with the plain-words steps that were tried (shown when nothing matched)."""

    method: MatchMethod
    contact_id: str = ""
    contact_name: str = ""
    linked_on: RecordKey | None = None
    steps: tuple[Said, ...] = ()  # what was tried, as words the panel translates (`tried`: the same in English)
    candidates: tuple[Contact, ...] = field(default_factory=tuple)
    tenant_id: str = ""  # the organisation matched in (the open panel's change poll names it)
    rule: str = ""  # the rule that matched, e.g. "the contact's email"

    @property
    def tried(self) -> tuple[str, ...]:
        return tuple(str(step) for step in self.steps)

    @property
    def tried_words(self) -> tuple[Message, ...]:
        return tuple(step.message for step in self.steps)

    @property
    def found(self) -> bool:
        return bool(self.contact_id)

    @property
    def description(self) -> str:
        if self.method is MatchMethod.LINKED:
            return N_("Linked by hand")
        if self.method is MatchMethod.EMAIL:
            return N_("Matched by %(rule)s", rule=Message(self.rule)) if self.rule else N_("Matched by email")
        if self.method is MatchMethod.COMPANY:
            return N_("Matched by %(rule)s", rule=Message(self.rule)) if self.rule else N_("Matched by company name")
        return ""


def _steps(tried: list[Message]) -> tuple[Said, ...]:
    return tuple(Said.of(step) for step in tried)


def _tried(rule: MatchRule, found: int) -> Message:
    """What one rule found, in words: nobody, or several customers (and from where its value came, when that says
    more than the field)."""
    value, source = rule.value, rule.source
    email = rule.method is MatchMethod.EMAIL
    if rule.whose:
        if found:
            if email:
                return Nn_("%(num)d Xero customer has the email “%(value)s” (%(source)s).",
                           "%(num)d Xero customers have the email “%(value)s” (%(source)s).",
                           found, value=value, source=source)
            return Nn_("%(num)d Xero customer has the name “%(value)s” (%(source)s).",
                       "%(num)d Xero customers have the name “%(value)s” (%(source)s).",
                       found, value=value, source=source)
        if email:
            return N_("No Xero customer has the email “%(value)s” (%(source)s).", value=value, source=source)
        return N_("No Xero customer has the name “%(value)s” (%(source)s).", value=value, source=source)
    if found:
        if email:
            return Nn_("%(num)d Xero customer has the email “%(value)s”.",
                       "%(num)d Xero customers have the email “%(value)s”.", found, value=value)
        return Nn_("%(num)d Xero customer has the name “%(value)s”.",
                   "%(num)d Xero customers have the name “%(value)s”.", found, value=value)
    if email:
        return N_("No Xero customer has the email “%(value)s”.", value=value)
    return N_("No Xero customer has the name “%(value)s”.", value=value)


class LinkLookup(Protocol):
    """Stored record → Xero contact links (plugin.storage's ContactLinks, reduced to what matching needs)."""

    def __call__(self, record: RecordKey) -> tuple[str, str] | None:
        """(contact_id, contact_name) linked to the record, or None."""


def comparable(text: str) -> str:
    """Trimmed, inner white space made one space, case-folded: how emails and names are compared."""
    return " ".join(text.split()).casefold()


def same_text(left: str, right: str) -> bool:
    return comparable(left) == comparable(right)


@dataclass(frozen=True, slots=True)
class CustomerDirectory:
    """Every active customer of one organisation, indexed by comparable email and name, so matching a record
    costs no Xero call. `complete` False: the organisation has too many customers to list; match per record."""

    tenant_id: str
    complete: bool
    by_email: dict[str, tuple[Contact, ...]] = field(default_factory=dict)
    by_name: dict[str, tuple[Contact, ...]] = field(default_factory=dict)
    contact_ids: frozenset[str] = frozenset()  # every active customer listed (empty: not known)

    @classmethod
    def of(cls, tenant_id: str, contacts: Iterable[Contact]) -> CustomerDirectory:
        by_email: dict[str, list[Contact]] = {}
        by_name: dict[str, list[Contact]] = {}
        ids: set[str] = set()
        for contact in contacts:
            if not contact.is_customer or contact.status is not ContactStatus.ACTIVE:
                continue
            ids.add(contact.contact_id.lower())
            if contact.email.strip():
                by_email.setdefault(comparable(contact.email), []).append(contact)
            by_name.setdefault(comparable(contact.name), []).append(contact)
        return cls(tenant_id, True, {key: tuple(found) for key, found in by_email.items()},
                   {key: tuple(found) for key, found in by_name.items()}, frozenset(ids))

    def no_longer_lists(self, contact_id: str) -> bool:
        """True when this complete directory is known not to list `contact_id` as an active customer (archived,
        deleted or no longer a customer since it was matched)."""
        ids = getattr(self, "contact_ids", None)  # a directory cached before the field existed has none
        return bool(self.complete and ids and contact_id.lower() not in ids)

    def find(self, method: MatchMethod, value: str) -> tuple[Contact, ...]:
        index = self.by_email if method is MatchMethod.EMAIL else self.by_name
        return index.get(comparable(value), ())


def find_contact(subject: MatchInput, *, linked: LinkLookup, search: Callable[[str], Iterable[Contact]],
                 directory: Callable[[], CustomerDirectory | None] | None = None) -> ContactMatch:
    """Stored link, then each of the record's rules in order (emails and names compared trimmed, case-insensitive).
    The first rule that matches exactly one customer wins; a rule matching nobody or several goes on to the next.
    When none matches exactly one, the first ambiguous rule's customers are offered to choose from.
    The organisation's customer `directory` answers without a Xero call; when it is too large or can't be had
    (None), `search` (Xero's searchTerm) narrows the list and the exact comparison is made here."""
    tried: list[Message] = []
    for record in subject.records:
        link = linked(record)
        if link:
            return ContactMatch(MatchMethod.LINKED, link[0], link[1], linked_on=record)
    tried.append(N_("No Xero customer has been linked to this record."))
    rules = rules_of(subject)
    known = _complete_directory(directory) if rules else None
    ambiguous: tuple[Contact, ...] = ()
    for rule in rules:
        if known is not None:
            exact = list(known.find(rule.method, rule.value))
        else:
            customers = [contact for contact in search(rule.value) if contact.is_customer]
            exact = [contact for contact in customers if same_text(_field(contact, rule.method), rule.value)]
        if len(exact) == 1:
            return ContactMatch(rule.method, exact[0].contact_id, exact[0].name, steps=_steps(tried),
                                rule=str.__str__(rule.source))
        if len(exact) > 1:
            tried.append(_tried(rule, len(exact)))
            ambiguous = ambiguous or tuple(exact)
            if rule.asks_when_several:
                break
            continue
        tried.append(_tried(rule, 0))
    if not any(rule.method is MatchMethod.EMAIL for rule in rules):
        tried.append(N_("This record has no email address to match on."))
    if ambiguous:
        return ContactMatch(MatchMethod.SEVERAL, steps=_steps(tried), candidates=ambiguous)
    return ContactMatch(MatchMethod.NONE, steps=_steps(tried))


def rules_of(subject: MatchInput) -> tuple[MatchRule, ...]:
    """The subject's rules without blank values or repeats (the same comparison twice tells nothing new)."""
    if subject.rules is None:
        rules = [MatchRule(MatchMethod.EMAIL, subject.email, "email", asks_when_several=True)]
        if subject.is_account:
            rules.append(MatchRule(MatchMethod.COMPANY, subject.company, "company name"))
    else:
        rules = list(subject.rules)
    kept: list[MatchRule] = []
    seen: set[tuple[MatchMethod, str]] = set()
    for rule in rules:
        value = " ".join(rule.value.split())
        key = (rule.method, comparable(value))
        if value and key not in seen:
            seen.add(key)
            kept.append(MatchRule(rule.method, value, rule.source, rule.asks_when_several))
    return tuple(kept)


def _complete_directory(directory: Callable[[], CustomerDirectory | None] | None) -> CustomerDirectory | None:
    """The directory when it lists every customer; None (search per record instead) when too large or unavailable."""
    known = directory() if directory is not None else None
    return known if known is not None and known.complete else None


def _field(contact: Contact, method: MatchMethod) -> str:
    return contact.email if method is MatchMethod.EMAIL else contact.name


