"""Installations, Xero connections and pins.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plugin.storage.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "installations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.String(200), nullable=False, unique=True),
        sa.Column("settings_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "xero_connections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "installation_id",
            sa.Integer,
            sa.ForeignKey("installations.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("tenant_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("tenant_name", sa.String(500), nullable=False, server_default=""),
        sa.Column("short_code", sa.String(32), nullable=False, server_default=""),
        sa.Column("base_currency", sa.String(3), nullable=False, server_default=""),
        sa.Column("connection_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("auth_event_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("connected_by_email", sa.String(320), nullable=False, server_default=""),
        sa.Column("connected_by_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("xero_userid", sa.String(64), nullable=False, server_default=""),
        sa.Column("connected_at", UTCDateTime(), nullable=True),
        sa.Column("access_token_enc", sa.Text, nullable=False, server_default=""),
        sa.Column("refresh_token_enc", sa.Text, nullable=False, server_default=""),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("scope", sa.Text, nullable=False, server_default=""),
        sa.Column("token_version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_refresh_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
        sa.Column("last_error_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'active', 'needs_reconnect')", name="ck_xero_connections_status"),
    )
    op.create_table(
        "pins",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("installation_id", sa.Integer, sa.ForeignKey("installations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("record_type", sa.String(20), nullable=False),
        sa.Column("record_id", sa.String(200), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("invoice_id", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint(
            "installation_id", "record_type", "record_id", "tenant_id", "invoice_id", name="uq_pins_record_invoice"
        ),
    )
    op.create_index("ix_pins_installation_id", "pins", ["installation_id"])


def downgrade() -> None:
    op.drop_table("pins")
    op.drop_table("xero_connections")
    op.drop_table("installations")
