"""CRM hosts: account ids namespaced by host, and a host's own OAuth tokens per installation.

Revision ID: 0003
Revises: 0002

Until now every account came from the generic signed context, under its bare id. One deployment now serves
several CRMs, so every account id names its host (`generic:<account>`, `pipedrive:<companyId>`) and no id of one
host can name another's account: existing rows get the `generic:` prefix here, and the generic host adds it to
the `account` claim at the context boundary. `host_installations` keeps a host's tokens (Fernet ciphertext).
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
    op.execute("UPDATE installations SET account_id = 'generic:' || account_id")
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
    op.execute("DELETE FROM installations WHERE account_id NOT LIKE 'generic:%'")
    op.execute("UPDATE installations SET account_id = substr(account_id, 9)")
