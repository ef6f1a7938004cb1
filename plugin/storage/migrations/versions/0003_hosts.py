"""CRM hosts: a host's own OAuth tokens per installation (e.g. Pipedrive's Marketplace OAuth), Fernet ciphertext.

Revision ID: 0003
Revises: 0002

Account ids are namespaced at the context boundary, not here: other hosts' accounts are `<host>:<id>`
(`pipedrive:<companyId>`), and the generic host keeps its accounts' bare ids (so existing rows stay as they are)
and refuses an `account` claim containing ':', so no generic context can name another host's account.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plugin.storage.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "host_installations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("installation_id", sa.Integer, sa.ForeignKey("installations.id", ondelete="CASCADE"),
                  nullable=False, unique=True),
        sa.Column("host", sa.String(20), nullable=False),
        sa.Column("api_domain", sa.String(300), nullable=False, server_default=""),
        sa.Column("installed_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("installed_at", UTCDateTime(), nullable=False),
        sa.Column("access_token_enc", sa.Text, nullable=False, server_default=""),
        sa.Column("refresh_token_enc", sa.Text, nullable=False, server_default=""),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("scope", sa.Text, nullable=False, server_default=""),
        sa.Column("token_version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_refresh_at", UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("host_installations")
