"""Single-use markers: used CRM contexts, used sign-in tickets, pending sign-ins, applied webhook deliveries.

Revision ID: 0004
Revises: 0003

They used to live in the cache, which evicts entries when it is full: a used context or ticket could then be
used again. A row here stays until it expires (without REDIS_URL; with it they are Redis keys with a TTL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from plugin.storage.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "single_use_markers",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.Text, nullable=False, server_default=""),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_single_use_markers_expires_at", "single_use_markers", ["expires_at"])


def downgrade() -> None:
    op.drop_table("single_use_markers")
