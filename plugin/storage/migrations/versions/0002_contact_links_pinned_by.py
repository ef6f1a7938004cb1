"""Contact links (a CRM record tied by hand to a Xero contact) and who pinned an invoice.

Revision ID: 0002
Revises: 0001

Adding `pins.pinned_by` on SQLite goes through a batch (copy-and-swap) rebuild of `pins`; the test
tests/storage/test_migrations.py shows that existing pins survive it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plugin.storage.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pins", recreate="always") as batch:
        batch.add_column(sa.Column("pinned_by", sa.String(200), nullable=False, server_default=""))
    op.create_table(
        "contact_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("installation_id", sa.Integer, sa.ForeignKey("installations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("record_type", sa.String(20), nullable=False),
        sa.Column("record_id", sa.String(200), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("contact_id", sa.String(64), nullable=False),
        sa.Column("contact_name", sa.String(500), nullable=False, server_default=""),
        sa.Column("linked_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("installation_id", "record_type", "record_id", "tenant_id", name="uq_contact_links_record"),
    )
    op.create_index("ix_contact_links_installation_id", "contact_links", ["installation_id"])


def downgrade() -> None:
    op.drop_table("contact_links")
    with op.batch_alter_table("pins") as batch:
        batch.drop_column("pinned_by")
