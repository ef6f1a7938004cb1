"""The engine of one app, its sessions, and the write lock used around token refreshes.

SQLite runs with pysqlite's own transaction handling switched off and an explicit BEGIN emitted by
us (SQLAlchemy's documented recipe), so that a unit of work can ask for `BEGIN IMMEDIATE`: the
database-wide write lock that other processes wait for. PostgreSQL uses row locks (FOR UPDATE).
The panel's per-render read (`Database.first_column`) goes to the driver's cursor directly: no BEGIN on SQLite,
where one statement is its own transaction.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import Select

from plugin.domain.clock import Clock
from plugin.storage.crypto import TokenCipher

SQLITE_BUSY_TIMEOUT_SECONDS = 30

_write_counter = itertools.count(1)
_write_generation = 0


def write_generation() -> int:
    """Changes after every write transaction of this process (any database); answers remembered in-process
    (Connections.recent) are reused only while it stays the same."""
    return _write_generation


def _count_write() -> None:
    global _write_generation  # one process-wide counter; next() hands out each value once
    _write_generation = next(_write_counter)


def database_url(configured: str, instance_path: str) -> str:
    if configured:
        return configured
    return f"sqlite:///{Path(instance_path) / 'panel.sqlite'}"


def build_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database not in (None, "", ":memory:") and not parsed.database.startswith("file:"):
        _create_private(Path(parsed.database))
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
    _use_explicit_sqlite_transactions(engine, in_memory=parsed.database in (None, "", ":memory:"))
    return engine


def _create_private(path: Path) -> None:
    """Create the SQLite file 0600 before SQLite does (it would use 0644); its -wal and -shm files copy the mode."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _use_explicit_sqlite_transactions(engine: Engine, *, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the refresh lock
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())


@dataclass(frozen=True, slots=True)
class PreparedRead:
    """A read compiled for one driver: its SQL, and its parameter names in order when the driver takes them by
    position (SQLite's `?`), or None when by name (psycopg's `%(name)s`)."""

    sql: str
    order: tuple[str, ...] | None

    def arguments(self, params: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        return tuple(params[name] for name in self.order) if self.order is not None else dict(params)


class Database:
    """What the repositories need: an engine, a cipher for tokens and a clock."""

    def __init__(self, engine: Engine, cipher: TokenCipher, clock: Clock) -> None:
        self.engine = engine
        self.cipher = cipher
        self.clock = clock
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"Database({self.engine.url.render_as_string(hide_password=True)!r})"

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self, *, write: bool = False, changes_reads: bool = True) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises.

        Pass `write=True` when the block writes: on SQLite (WAL) a read transaction that later writes
        fails at once with "database is locked" if another writer committed meanwhile, so writers take
        the write lock up front and queue for it instead (busy time-out). `changes_reads=False` for a write no
        remembered answer depends on (single-use markers): it leaves `write_generation` alone.
        """
        if write:
            with self.write_locked_session(changes_reads=changes_reads) as session:
                yield session
            return
        with self._sessions.begin() as session:
            yield session

    def prepare_read(self, statement: Select) -> PreparedRead:
        """`statement` compiled once for this database's driver, for `first_column`."""
        compiled = statement.compile(dialect=self.engine.dialect)
        return PreparedRead(compiled.string, tuple(compiled.positiontup or ()) if compiled.positional else None)

    def first_column(self, read: PreparedRead, params: Mapping[str, Any]) -> list[Any]:
        """The first column of the rows of one read-only statement, run on the driver's own cursor: for the read the
        panel makes on every render, where SQLAlchemy's session and execution layers cost several times the query
        (SQLite: no BEGIN either; one statement is its own transaction). Only for plain values (text, numbers): no
        SQLAlchemy type conversion runs. Never for a statement that writes."""
        driver_error = self.engine.dialect.loaded_dbapi.Error
        try:
            connection = self.engine.raw_connection()  # from the pool (pre-ping on PostgreSQL), back to it on close
        except driver_error as error:
            raise DBAPIError.instance(read.sql, None, error, driver_error) from error
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(read.sql, read.arguments(params))
                return [row[0] for row in cursor.fetchall()]
            finally:
                cursor.close()
        except driver_error as error:  # as SQLAlchemy's own execution would raise it (OperationalError, ...), so
            # the app's "database unavailable" answer (plugin.storage) hears of it
            raise DBAPIError.instance(read.sql, None, error, driver_error) from error
        finally:
            connection.close()  # the pool rolls back what the driver began (PostgreSQL) and keeps the connection

    @contextmanager
    def write_locked_session(self, *, changes_reads: bool = True) -> Iterator[Session]:
        """A transaction that holds the write lock from its first statement on SQLite (BEGIN IMMEDIATE).

        On PostgreSQL this is an ordinary transaction; callers lock their row with `with_for_update()`.
        """
        try:
            with self.engine.connect() as connection:
                if self.is_sqlite:
                    connection = connection.execution_options(sqlite_begin="IMMEDIATE")
                with Session(bind=connection, expire_on_commit=False) as session, session.begin():
                    yield session
        finally:
            if changes_reads:
                _count_write()  # after the commit, so a reader that started before it can't keep the old answer

    def dispose(self) -> None:
        self.engine.dispose()
