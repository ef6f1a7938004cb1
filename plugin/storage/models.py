"""Tables. One CRM account is one installation; every other row hangs off an installation.

Token columns hold Fernet ciphertext only (see crypto.py). `__repr__` is written by hand on every
model so that a stray log line or traceback can never print a token.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from plugin.storage.types import UTCDateTime

STATUS_PENDING = "pending"
STATUS_ACTIVE = "active"
STATUS_NEEDS_RECONNECT = "needs_reconnect"
STATUSES = (STATUS_PENDING, STATUS_ACTIVE, STATUS_NEEDS_RECONNECT)


class Base(DeclarativeBase):
    pass


class Installation(Base):
    __tablename__ = "installations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(200), unique=True)
    settings_json: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"Installation(id={self.id!r}, account_id={self.account_id!r})"


class XeroConnection(Base):
    """The one Xero token set of an installation and the organisation it reads."""

    __tablename__ = "xero_connections"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'active', 'needs_reconnect')", name="ck_xero_connections_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=STATUS_PENDING)
    tenant_id: Mapped[str] = mapped_column(String(64), default="")
    tenant_name: Mapped[str] = mapped_column(String(500), default="")
    short_code: Mapped[str] = mapped_column(String(32), default="")
    base_currency: Mapped[str] = mapped_column(String(3), default="")
    connection_id: Mapped[str] = mapped_column(String(64), default="")
    auth_event_id: Mapped[str] = mapped_column(String(64), default="")
    connected_by_email: Mapped[str] = mapped_column(String(320), default="")
    connected_by_name: Mapped[str] = mapped_column(String(200), default="")
    xero_userid: Mapped[str] = mapped_column(String(64), default="")
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    access_token_enc: Mapped[str] = mapped_column(Text, default="")
    refresh_token_enc: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    scope: Mapped[str] = mapped_column(Text, default="")
    token_version: Mapped[int] = mapped_column(Integer, default=0)  # +1 on every stored rotation
    last_refresh_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    def __repr__(self) -> str:
        return (
            f"XeroConnection(id={self.id!r}, installation_id={self.installation_id!r}, status={self.status!r}, "
            f"tenant_id={self.tenant_id!r}, token_version={self.token_version!r}, tokens=<hidden>)"
        )


class Pin(Base):
    __tablename__ = "pins"
    __table_args__ = (
        UniqueConstraint(
            "installation_id", "record_type", "record_id", "tenant_id", "invoice_id", name="uq_pins_record_invoice"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"), index=True)
    record_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str] = mapped_column(String(200))
    tenant_id: Mapped[str] = mapped_column(String(64))
    invoice_id: Mapped[str] = mapped_column(String(64))
    pinned_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"Pin({self.record_type}:{self.record_id} -> {self.invoice_id}, installation={self.installation_id!r})"


class ContactLink(Base):
    """A CRM record the user linked by hand to one Xero contact (overrides matching by email/name)."""

    __tablename__ = "contact_links"
    __table_args__ = (
        UniqueConstraint("installation_id", "record_type", "record_id", "tenant_id", name="uq_contact_links_record"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"), index=True)
    record_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str] = mapped_column(String(200))
    tenant_id: Mapped[str] = mapped_column(String(64))
    contact_id: Mapped[str] = mapped_column(String(64))
    contact_name: Mapped[str] = mapped_column(String(500), default="")
    linked_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        target = f"{self.record_type}:{self.record_id} -> {self.contact_id}"
        return f"ContactLink({target}, installation={self.installation_id!r})"


class HostInstallation(Base):
    """A CRM host's own OAuth tokens for an installation (Pipedrive's Marketplace OAuth): used to read the CRM's
    records and users. One per installation; the account id already names the host (`pipedrive:<companyId>`)."""

    __tablename__ = "host_installations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"), unique=True)
    host: Mapped[str] = mapped_column(String(20))
    api_domain: Mapped[str] = mapped_column(String(300), default="")
    installed_by: Mapped[str] = mapped_column(String(200), default="")
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    access_token_enc: Mapped[str] = mapped_column(Text, default="")
    refresh_token_enc: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    scope: Mapped[str] = mapped_column(Text, default="")
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    last_refresh_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    def __repr__(self) -> str:
        return (f"HostInstallation(id={self.id!r}, installation_id={self.installation_id!r}, host={self.host!r}, "
                f"token_version={self.token_version!r}, tokens=<hidden>)")


class SingleUseMarker(Base):
    """A one-time thing already used (a CRM context's jti, a sign-in ticket, an applied webhook delivery) or a
    sign-in waiting to be finished, kept until `expires_at`. Nothing evicts a row before then (unlike a cache)."""

    __tablename__ = "single_use_markers"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    def __repr__(self) -> str:
        return f"SingleUseMarker(key={self.key!r}, expires_at={self.expires_at!r})"
