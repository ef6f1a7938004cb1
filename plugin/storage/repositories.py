"""Repositories: the only code that touches the tables.

Every method takes the CRM account id first and every query filters on that account's installation,
so a caller holding account A's context has no way to name a row of account B. Methods return small
frozen dataclasses, never ORM objects, and never tokens except through `Connections.tokens`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plugin.domain.models import TokenSet
from plugin.storage.database import Database, write_generation
from plugin.storage.models import (
    STATUS_ACTIVE,
    STATUS_NEEDS_RECONNECT,
    STATUS_PENDING,
    ContactLink,
    HostInstallation,
    Installation,
    Pin,
    XeroConnection,
)

MAX_ERROR_LENGTH = 1000
# Connections.recent: how long a worker reuses an account's connection row it read, when this process wrote
# nothing since (a change made by another worker shows within this time).
RECENT_CONNECTION_SECONDS = 2.0
# Installation setting written by Connections.remove: an account with no connection row is "removed" (an admin
# pressed Remove; reps are told to ask an admin) rather than "never set up" when this is present. Never
# cleared: once a new connection row exists, its status is what counts.
XERO_REMOVED_AT = "xero_removed_at"


class RecordLike(Protocol):
    """Anything naming a CRM record: plugin.embed.context.RecordRef, or plugin.domain.matching.RecordKey."""

    @property
    def type(self) -> str: ...

    @property
    def id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class InstallationInfo:
    account_id: str
    created_at: datetime
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def xero_was_removed(self) -> bool:
        """An admin removed a Xero connection of this account at some point (see XERO_REMOVED_AT)."""
        return bool(self.settings.get(XERO_REMOVED_AT))


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """What may be shown about a connection (no tokens)."""

    account_id: str
    status: str
    tenant_id: str
    tenant_name: str
    short_code: str
    base_currency: str
    connection_id: str
    auth_event_id: str
    connected_by_email: str
    connected_by_name: str
    xero_userid: str
    connected_at: datetime | None
    expires_at: datetime | None
    scope: tuple[str, ...]
    token_version: int
    last_refresh_at: datetime | None
    last_error: str
    last_error_at: datetime | None

    @property
    def is_active(self) -> bool:
        return self.status == STATUS_ACTIVE

    @property
    def needs_reconnect(self) -> bool:
        return self.status == STATUS_NEEDS_RECONNECT


@dataclass(frozen=True, slots=True)
class PinInfo:
    record_type: str
    record_id: str
    tenant_id: str
    invoice_id: str
    pinned_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ContactLinkInfo:
    record_type: str
    record_id: str
    tenant_id: str
    contact_id: str
    contact_name: str
    linked_by: str
    updated_at: datetime


class NoConnection(LookupError):
    """The account has no Xero connection row to update."""


def _require_account(account_id: str) -> str:
    if not isinstance(account_id, str) or not account_id.strip():
        raise ValueError("an account id is required")
    return account_id


def _installation_id(session: Session, account_id: str) -> int | None:
    return session.scalar(select(Installation.id).where(Installation.account_id == _require_account(account_id)))


def _ensure_installation(db: Database, session: Session, account_id: str) -> int:
    """The installation's id, creating the row if needed; safe when two requests create it at once."""
    existing = _installation_id(session, account_id)
    if existing is not None:
        return existing
    try:
        with session.begin_nested():
            row = Installation(account_id=account_id, settings_json="{}", created_at=db.clock.now())
            session.add(row)
        return row.id
    except IntegrityError:
        created_meanwhile = _installation_id(session, account_id)
        assert created_meanwhile is not None
        return created_meanwhile


class Installations:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get_or_create(self, account_id: str) -> InstallationInfo:
        with self._db.session(write=True) as session:
            installation_id = _ensure_installation(self._db, session, account_id)
            return self._info(session.get_one(Installation, installation_id))

    def get(self, account_id: str) -> InstallationInfo | None:
        with self._db.session() as session:
            row = session.scalar(select(Installation).where(Installation.account_id == _require_account(account_id)))
            return self._info(row) if row else None

    def update_settings(self, account_id: str, **changes: Any) -> dict[str, Any]:
        with self._db.session(write=True) as session:
            row = session.get_one(Installation, _ensure_installation(self._db, session, account_id))
            settings = {**json.loads(row.settings_json or "{}"), **changes}
            row.settings_json = json.dumps(settings, sort_keys=True)
            return settings

    @staticmethod
    def _info(row: Installation) -> InstallationInfo:
        return InstallationInfo(row.account_id, row.created_at, json.loads(row.settings_json or "{}"))


class LockedTokens:
    """The connection row of one account, held under the refresh lock until the block ends."""

    def __init__(self, db: Database, row: XeroConnection | None) -> None:
        self._db = db
        self._row = row

    @property
    def exists(self) -> bool:
        return self._row is not None

    @property
    def status(self) -> str:
        return self._row.status if self._row else ""

    @property
    def tokens(self) -> TokenSet | None:
        return _decrypt_tokens(self._db, self._row) if self._row else None

    def store(self, tokens: TokenSet) -> None:
        """Write a rotated token set; committed when the locked block ends, before anyone uses it."""
        row = self._existing()
        _write_tokens(self._db, row, tokens)
        row.last_refresh_at = self._db.clock.now()
        row.last_error = ""
        row.last_error_at = None

    def mark_needs_reconnect(self, reason: str) -> None:
        row = self._existing()
        row.status = STATUS_NEEDS_RECONNECT
        _set_error(self._db, row, reason)

    def record_error(self, reason: str) -> None:
        _set_error(self._db, self._existing(), reason)

    def _existing(self) -> XeroConnection:
        if self._row is None:
            raise NoConnection("no Xero connection is stored for this account")
        return self._row


class Connections:
    """The Xero connection of each account: one token set and the organisation it reads."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._recent: dict[str, tuple[int, float, ConnectionInfo | None]] = {}

    def get(self, account_id: str) -> ConnectionInfo | None:
        with self._db.session() as session:
            row = self._row(session, account_id)
            return _connection_info(account_id, row) if row else None

    def recent(self, account_id: str) -> ConnectionInfo | None:
        """`get`, without a query when this worker read it under RECENT_CONNECTION_SECONDS ago and has written
        nothing since: the panel asks on every request, and the row changes only on connect, save, remove,
        refresh or a failure."""
        generation, now = write_generation(), self._db.clock.monotonic()
        known = self._recent.get(account_id)
        if known is not None and known[0] == generation and 0 <= now - known[1] < RECENT_CONNECTION_SECONDS:
            return known[2]
        info = self.get(account_id)
        if len(self._recent) > 10_000:
            self._recent.clear()
        self._recent[account_id] = (generation, now, info)
        return info

    def active_for(self, account_id: str) -> ConnectionInfo | None:
        info = self.get(account_id)
        return info if info and info.is_active else None

    def tokens(self, account_id: str) -> TokenSet | None:
        """Decrypted tokens, for the token source only. Never render or log them."""
        with self._db.session() as session:
            row = self._row(session, account_id)
            return _decrypt_tokens(self._db, row) if row else None

    def store_consent(
        self,
        account_id: str,
        tokens: TokenSet,
        *,
        connected_by_email: str,
        connected_by_name: str = "",
        xero_userid: str = "",
        auth_event_id: str = "",
    ) -> ConnectionInfo:
        """After the OAuth callback: keep the new token set, status pending until an organisation is saved.

        A reconnect replaces the tokens and keeps the chosen organisation, so `activate` can follow directly.
        """
        with self._db.session(write=True) as session:
            installation_id = _ensure_installation(self._db, session, account_id)
            row = session.scalar(select(XeroConnection).where(XeroConnection.installation_id == installation_id))
            if row is None:
                row = XeroConnection(installation_id=installation_id, token_version=0)
                session.add(row)
            row.status = STATUS_PENDING
            row.connected_by_email = connected_by_email
            row.connected_by_name = connected_by_name
            row.xero_userid = xero_userid
            row.auth_event_id = auth_event_id
            row.connected_at = self._db.clock.now()
            row.last_error = ""
            row.last_error_at = None
            _write_tokens(self._db, row, tokens)
            session.flush()
            return _connection_info(account_id, row)

    def choose_tenant(
        self,
        account_id: str,
        tenant_id: str,
        *,
        tenant_name: str,
        connection_id: str = "",
        short_code: str = "",
        base_currency: str = "",
    ) -> ConnectionInfo:
        """Pick the organisation this account reads. Switching organisation keeps the status as it was."""
        return self._update(
            account_id,
            tenant_id=tenant_id,
            tenant_name=tenant_name,
            connection_id=connection_id,
            short_code=short_code,
            base_currency=base_currency,
        )

    def update_organisation(
        self, account_id: str, *, tenant_name: str | None = None, short_code: str | None = None,
        base_currency: str | None = None,
    ) -> ConnectionInfo:
        changes = {"tenant_name": tenant_name, "short_code": short_code, "base_currency": base_currency}
        return self._update(account_id, **{name: value for name, value in changes.items() if value is not None})

    def activate(self, account_id: str) -> ConnectionInfo:
        with self._db.session(write=True) as session:
            row = self._existing(session, account_id)
            if not row.tenant_id:
                raise ValueError("choose an organisation before activating the connection")
            if not row.refresh_token_enc:
                raise ValueError("the connection has no tokens; connect to Xero again")
            row.status = STATUS_ACTIVE
            return _connection_info(account_id, row)

    def mark_needs_reconnect(self, account_id: str, reason: str) -> None:
        with self._db.session(write=True) as session:
            row = self._existing(session, account_id)
            row.status = STATUS_NEEDS_RECONNECT
            _set_error(self._db, row, reason)

    def record_error(self, account_id: str, reason: str) -> None:
        """Remember the last Xero problem in plain words, for the admin's diagnostics."""
        with self._db.session(write=True) as session:
            row = self._row(session, account_id)
            if row is not None:
                _set_error(self._db, row, reason)

    def remove(self, account_id: str) -> bool:
        """Forget the connection and its tokens (after DELETE /connections and revocation), and note on the
        installation that it was removed, in the same transaction."""
        with self._db.session(write=True) as session:
            installation_id = _installation_id(session, account_id)
            if installation_id is None:
                return False
            result = session.execute(delete(XeroConnection).where(XeroConnection.installation_id == installation_id))
            removed = bool(result.rowcount)  # type: ignore[attr-defined]
            if removed:
                installation = session.get_one(Installation, installation_id)
                settings = {**json.loads(installation.settings_json or "{}"),
                            XERO_REMOVED_AT: self._db.clock.now().isoformat()}
                installation.settings_json = json.dumps(settings, sort_keys=True)
            return removed

    @contextmanager
    def locked(self, account_id: str) -> Iterator[LockedTokens]:
        """Hold the refresh lock of this account's connection: FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE
        on SQLite. Whatever is stored through the handle is committed when the block ends."""
        with self._db.write_locked_session() as session:
            installation_id = _installation_id(session, account_id)
            row = None
            if installation_id is not None:
                query = select(XeroConnection).where(XeroConnection.installation_id == installation_id)
                row = session.scalar(query.with_for_update())
            yield LockedTokens(self._db, row)

    def _update(self, account_id: str, **values: str) -> ConnectionInfo:
        with self._db.session(write=True) as session:
            row = self._existing(session, account_id)
            for name, value in values.items():
                setattr(row, name, value)
            return _connection_info(account_id, row)

    def _existing(self, session: Session, account_id: str) -> XeroConnection:
        row = self._row(session, account_id)
        if row is None:
            raise NoConnection(f"no Xero connection is stored for account {account_id!r}")
        return row

    @staticmethod
    def _row(session: Session, account_id: str) -> XeroConnection | None:
        query = (
            select(XeroConnection)
            .join(Installation, Installation.id == XeroConnection.installation_id)
            .where(Installation.account_id == _require_account(account_id))
        )
        return session.scalar(query)


class Pins:
    """Invoices a user pinned on a CRM record. Pinning is idempotent: the unique constraint decides."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pinned_ids = db.prepare_read(self._PINNED_IDS)

    def for_record(self, account_id: str, record: RecordLike, tenant_id: str | None = None) -> list[PinInfo]:
        with self._db.session() as session:
            installation_id = _installation_id(session, account_id)
            if installation_id is None:
                return []
            query = _record_filter(select(Pin), Pin, installation_id, record).order_by(Pin.created_at, Pin.id)
            if tenant_id is not None:
                query = query.where(Pin.tenant_id == tenant_id)
            return [_pin_info(row) for row in session.scalars(query)]

    # Built once: constructing the statement cost more than running it.
    _PINNED_IDS = (
        select(Pin.invoice_id)
        .join(Installation, Installation.id == Pin.installation_id)
        .where(Installation.account_id == bindparam("account_id"), Pin.record_type == bindparam("record_type"),
               Pin.record_id == bindparam("record_id"), Pin.tenant_id == bindparam("tenant_id"))
    )

    def invoice_ids(self, account_id: str, record: RecordLike, tenant_id: str) -> set[str]:
        """The ids of the invoices pinned on the record, in one query (the panel reads them on every render)."""
        values = {"account_id": _require_account(account_id), "record_type": record.type, "record_id": str(record.id),
                  "tenant_id": tenant_id}
        return set(self._db.first_column(self._pinned_ids, values))

    def is_pinned(self, account_id: str, record: RecordLike, tenant_id: str, invoice_id: str) -> bool:
        return any(pin.invoice_id == invoice_id for pin in self.for_record(account_id, record, tenant_id))

    def pin(self, account_id: str, record: RecordLike, tenant_id: str, invoice_id: str, *, pinned_by: str = "") -> bool:
        """Pin; True if this call created the pin, False if it was already there."""
        with self._db.session(write=True) as session:
            installation_id = _ensure_installation(self._db, session, account_id)
            try:
                with session.begin_nested():
                    session.add(
                        Pin(
                            installation_id=installation_id,
                            record_type=record.type,
                            record_id=str(record.id),
                            tenant_id=tenant_id,
                            invoice_id=invoice_id,
                            pinned_by=pinned_by,
                            created_at=self._db.clock.now(),
                        )
                    )
                return True
            except IntegrityError:
                return False  # someone pinned it first: the outcome the caller wanted

    def unpin(self, account_id: str, record: RecordLike, tenant_id: str, invoice_id: str) -> bool:
        """Unpin; True if a pin was removed."""
        with self._db.session(write=True) as session:
            installation_id = _installation_id(session, account_id)
            if installation_id is None:
                return False
            statement = _record_filter(delete(Pin), Pin, installation_id, record).where(
                Pin.tenant_id == tenant_id, Pin.invoice_id == invoice_id
            )
            return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]

    def set_pinned(
        self, account_id: str, record: RecordLike, tenant_id: str, invoice_id: str, pinned: bool, *, pinned_by: str = ""
    ) -> bool:
        """Bring the pin to the state the user asked for; repeating the request changes nothing."""
        if pinned:
            self.pin(account_id, record, tenant_id, invoice_id, pinned_by=pinned_by)
        else:
            self.unpin(account_id, record, tenant_id, invoice_id)
        return pinned

    def toggle(
        self, account_id: str, record: RecordLike, tenant_id: str, invoice_id: str, *, pinned_by: str = ""
    ) -> bool:
        """Flip the pin; returns whether it is pinned now. Prefer `set_pinned` for requests that may be retried."""
        if self.unpin(account_id, record, tenant_id, invoice_id):
            return False
        self.pin(account_id, record, tenant_id, invoice_id, pinned_by=pinned_by)
        return True


class ContactLinks:
    """A CRM record linked by hand to one Xero contact, per organisation."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, account_id: str, record: RecordLike, tenant_id: str) -> ContactLinkInfo | None:
        with self._db.session() as session:
            installation_id = _installation_id(session, account_id)
            if installation_id is None:
                return None
            row = session.scalar(self._query(installation_id, record, tenant_id))
            return _link_info(row) if row else None

    def set(
        self, account_id: str, record: RecordLike, tenant_id: str, contact_id: str, *, contact_name: str = "",
        linked_by: str = "",
    ) -> ContactLinkInfo:
        with self._db.session(write=True) as session:
            installation_id = _ensure_installation(self._db, session, account_id)
            row = session.scalar(self._query(installation_id, record, tenant_id))
            if row is None:
                row = self._insert_or_existing(session, installation_id, record, tenant_id)
            row.contact_id = contact_id
            row.contact_name = contact_name
            row.linked_by = linked_by
            row.updated_at = self._db.clock.now()
            return _link_info(row)

    def clear(self, account_id: str, record: RecordLike, tenant_id: str) -> bool:
        with self._db.session(write=True) as session:
            installation_id = _installation_id(session, account_id)
            if installation_id is None:
                return False
            statement = _record_filter(delete(ContactLink), ContactLink, installation_id, record).where(
                ContactLink.tenant_id == tenant_id
            )
            return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]

    def _insert_or_existing(
        self, session: Session, installation_id: int, record: RecordLike, tenant_id: str
    ) -> ContactLink:
        row = ContactLink(
            installation_id=installation_id, record_type=record.type, record_id=str(record.id), tenant_id=tenant_id,
            contact_id="", updated_at=self._db.clock.now(),
        )
        try:
            with session.begin_nested():
                session.add(row)
            return row
        except IntegrityError:
            return session.scalars(self._query(installation_id, record, tenant_id)).one()

    @staticmethod
    def _query(installation_id: int, record: RecordLike, tenant_id: str):  # type: ignore[no-untyped-def]
        return _record_filter(select(ContactLink), ContactLink, installation_id, record).where(
            ContactLink.tenant_id == tenant_id
        )


def _record_filter(statement, model, installation_id: int, record: RecordLike):  # type: ignore[no-untyped-def]
    return statement.where(
        model.installation_id == installation_id,
        model.record_type == record.type,
        model.record_id == str(record.id),
    )


def _write_tokens(db: Database, row: XeroConnection, tokens: TokenSet) -> None:
    row.access_token_enc = db.cipher.encrypt(tokens.access_token)
    row.refresh_token_enc = db.cipher.encrypt(tokens.refresh_token)
    row.expires_at = tokens.expires_at
    row.scope = " ".join(tokens.scope)
    row.token_version = (row.token_version or 0) + 1


def _decrypt_tokens(db: Database, row: XeroConnection) -> TokenSet | None:
    if not row.refresh_token_enc or row.expires_at is None:
        return None
    return TokenSet(
        access_token=db.cipher.decrypt(row.access_token_enc),
        refresh_token=db.cipher.decrypt(row.refresh_token_enc),
        expires_at=row.expires_at,
        scope=tuple(row.scope.split()),
    )


def _set_error(db: Database, row: XeroConnection, reason: str) -> None:
    row.last_error = reason[:MAX_ERROR_LENGTH]
    row.last_error_at = db.clock.now()


def _connection_info(account_id: str, row: XeroConnection) -> ConnectionInfo:
    return ConnectionInfo(
        account_id=account_id,
        status=row.status,
        tenant_id=row.tenant_id,
        tenant_name=row.tenant_name,
        short_code=row.short_code,
        base_currency=row.base_currency,
        connection_id=row.connection_id,
        auth_event_id=row.auth_event_id,
        connected_by_email=row.connected_by_email,
        connected_by_name=row.connected_by_name,
        xero_userid=row.xero_userid,
        connected_at=row.connected_at,
        expires_at=row.expires_at,
        scope=tuple((row.scope or "").split()),
        token_version=row.token_version or 0,
        last_refresh_at=row.last_refresh_at,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
    )


def _pin_info(row: Pin) -> PinInfo:
    return PinInfo(row.record_type, row.record_id, row.tenant_id, row.invoice_id, row.pinned_by, row.created_at)


def _link_info(row: ContactLink) -> ContactLinkInfo:
    return ContactLinkInfo(
        row.record_type, row.record_id, row.tenant_id, row.contact_id, row.contact_name, row.linked_by, row.updated_at
    )


@dataclass(frozen=True, slots=True)
class HostTokenSet:
    """A CRM host's OAuth tokens for one account (decrypted; never logged: the repr hides them)."""

    access_token: str
    refresh_token: str
    expires_at: datetime
    api_domain: str = ""
    scope: str = ""
    installed_by: str = ""

    def __repr__(self) -> str:
        return f"HostTokenSet(expires_at={self.expires_at!r}, api_domain={self.api_domain!r}, tokens=<hidden>)"


class LockedHostTokens:
    """The host token row of one account, held under the refresh lock until the block ends."""

    def __init__(self, db: Database, row: HostInstallation | None) -> None:
        self._db = db
        self._row = row

    @property
    def tokens(self) -> HostTokenSet | None:
        return _host_tokens(self._db, self._row) if self._row else None

    def store(self, tokens: HostTokenSet) -> None:
        if self._row is None:
            raise NoConnection("the app is not installed for this account")
        _write_host_tokens(self._db, self._row, tokens)
        self._row.last_refresh_at = self._db.clock.now()


class HostTokens:
    """A CRM host's own OAuth tokens per account (e.g. Pipedrive's Marketplace OAuth), encrypted like Xero's."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, account_id: str) -> HostTokenSet | None:
        with self._db.session() as session:
            row = self._row(session, account_id)
            return _host_tokens(self._db, row) if row else None

    def store(self, account_id: str, host: str, tokens: HostTokenSet) -> None:
        """Install (or re-install): the account's host tokens are replaced by `tokens`."""
        with self._db.session(write=True) as session:
            installation_id = _ensure_installation(self._db, session, account_id)
            row = session.scalar(select(HostInstallation).where(HostInstallation.installation_id == installation_id))
            if row is None:
                row = HostInstallation(installation_id=installation_id, host=host, installed_at=self._db.clock.now(),
                                       token_version=0)
                session.add(row)
            row.installed_by = tokens.installed_by
            _write_host_tokens(self._db, row, tokens)

    def remove(self, account_id: str) -> bool:
        with self._db.session(write=True) as session:
            installation_id = _installation_id(session, account_id)
            if installation_id is None:
                return False
            result = session.execute(
                delete(HostInstallation).where(HostInstallation.installation_id == installation_id))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    @contextmanager
    def locked(self, account_id: str) -> Iterator[LockedHostTokens]:
        """Hold the refresh lock of this account's host tokens (FOR UPDATE / BEGIN IMMEDIATE)."""
        with self._db.write_locked_session() as session:
            installation_id = _installation_id(session, account_id)
            row = None
            if installation_id is not None:
                query = select(HostInstallation).where(HostInstallation.installation_id == installation_id)
                row = session.scalar(query.with_for_update())
            yield LockedHostTokens(self._db, row)

    @staticmethod
    def _row(session: Session, account_id: str) -> HostInstallation | None:
        query = (
            select(HostInstallation)
            .join(Installation, Installation.id == HostInstallation.installation_id)
            .where(Installation.account_id == _require_account(account_id))
        )
        return session.scalar(query)


def _write_host_tokens(db: Database, row: HostInstallation, tokens: HostTokenSet) -> None:
    row.access_token_enc = db.cipher.encrypt(tokens.access_token)
    row.refresh_token_enc = db.cipher.encrypt(tokens.refresh_token)
    row.expires_at = tokens.expires_at
    row.scope = tokens.scope
    if tokens.api_domain:
        row.api_domain = tokens.api_domain
    row.token_version = (row.token_version or 0) + 1


def _host_tokens(db: Database, row: HostInstallation) -> HostTokenSet | None:
    if not row.refresh_token_enc or row.expires_at is None:
        return None
    return HostTokenSet(
        access_token=db.cipher.decrypt(row.access_token_enc),
        refresh_token=db.cipher.decrypt(row.refresh_token_enc),
        expires_at=row.expires_at,
        api_domain=row.api_domain,
        scope=row.scope,
        installed_by=row.installed_by,
    )
