"""Single-use markers in the database (the store without REDIS_URL): one row per marker until it expires.

`claim` inserts (the primary key decides between concurrent callers; an expired row is taken over), `take`
deletes and returns a value once, `is_claimed` reads. Expired rows are swept now and then by `claim`.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from plugin.storage.database import Database
from plugin.storage.models import SingleUseMarker

SWEEP_EVERY = 200  # claims between deletions of expired rows


class DatabaseMarkers:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._claims = itertools.count(1)

    def claim(self, key: str, *, ttl: float, value: str = "1") -> bool:
        """True for the first caller while the marker lives; False after (until it expires)."""
        now = self._db.clock.now()
        expires_at = now + timedelta(seconds=max(float(ttl), 1.0))
        with self._db.session(write=True, changes_reads=False) as session:
            if next(self._claims) % SWEEP_EVERY == 0:
                session.execute(delete(SingleUseMarker).where(SingleUseMarker.expires_at <= now))
            try:
                with session.begin_nested():
                    session.add(SingleUseMarker(key=key, value=value, expires_at=expires_at))
                return True
            except IntegrityError:
                taken_over = session.execute(
                    update(SingleUseMarker)
                    .where(SingleUseMarker.key == key, SingleUseMarker.expires_at <= now)
                    .values(value=value, expires_at=expires_at)
                )
                return taken_over.rowcount == 1

    def is_claimed(self, key: str) -> bool:
        now = self._db.clock.now()
        with self._db.session() as session:
            found = session.scalar(select(SingleUseMarker.key).where(SingleUseMarker.key == key,
                                                                      SingleUseMarker.expires_at > now))
        return found is not None

    def take(self, key: str) -> str | None:
        """The marker's value, deleted so that only one caller ever gets it; None if absent or expired."""
        now = self._db.clock.now()
        with self._db.session(write=True, changes_reads=False) as session:
            value = session.scalar(select(SingleUseMarker.value).where(SingleUseMarker.key == key,
                                                                       SingleUseMarker.expires_at > now))
            if value is None:
                return None
            deleted = session.execute(delete(SingleUseMarker).where(SingleUseMarker.key == key,
                                                                    SingleUseMarker.expires_at > now))
            return value if deleted.rowcount == 1 else None
