from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from plugin import create_app
from plugin.domain.models import TokenSet
from plugin.storage import TokenDecryptError, get_database
from plugin.storage.models import XeroConnection

ACCESS = "eyJhbGciOiJSUzI1NiJ9.access-token-that-must-not-leak"
REFRESH = "refresh-token-that-must-not-leak-0123456789"


def new_key() -> str:
    return Fernet.generate_key().decode()


def tokens(clock) -> TokenSet:
    return TokenSet(ACCESS, REFRESH, clock.now() + timedelta(minutes=30))


def test_tokens_are_unreadable_in_the_raw_database(store, clock):
    store.connections.store_consent("A", tokens(clock), connected_by_email="admin@a.test")

    with store.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM xero_connections")).mappings().all()
    raw = " ".join(str(value) for row in rows for value in row.values())
    assert ACCESS not in raw and REFRESH not in raw
    assert "admin@a.test" in raw  # the row is really there; only the tokens are ciphertext
    assert store.connections.tokens("A").refresh_token == REFRESH


def test_tokens_never_appear_in_reprs(store, clock):
    store.connections.store_consent("A", tokens(clock), connected_by_email="admin@a.test")
    with store.session() as session:
        row = session.query(XeroConnection).one()
        shown = repr(row)
    info = store.connections.get("A")
    for text_shown in (shown, repr(info), repr(store), repr(store.cipher)):
        assert ACCESS not in text_shown and REFRESH not in text_shown
        assert row.refresh_token_enc not in text_shown


def test_sqlite_file_does_not_contain_the_tokens(tmp_path, clock):
    app = create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": f"sqlite:///{tmp_path}/panel.sqlite"})
    store = get_database(app)
    store.connections.store_consent("A", tokens(clock), connected_by_email="admin@a.test")
    store.dispose()
    on_disk = b"".join(path.read_bytes() for path in tmp_path.glob("panel.sqlite*"))
    assert b"admin@a.test" in on_disk
    assert REFRESH.encode() not in on_disk and ACCESS.encode() not in on_disk


def test_default_key_file_is_readable_only_by_its_owner(tmp_path, clock):
    app = create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite"})
    key_file = Path(app.instance_path) / "token_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    get_database(app).dispose()


def test_a_different_key_cannot_read_stored_tokens(tmp_path, clock):
    url = f"sqlite:///{tmp_path}/panel.sqlite"
    first = create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": url, "TOKEN_KEY": new_key()})
    get_database(first).connections.store_consent("A", tokens(clock), connected_by_email="a@a.test")
    other = create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": url, "TOKEN_KEY": new_key()})

    with pytest.raises(TokenDecryptError):
        get_database(other).connections.tokens("A")


def test_rotating_token_key_keeps_old_tokens_readable_and_encrypts_with_the_new(tmp_path, clock):
    url = f"sqlite:///{tmp_path}/panel.sqlite"
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": url, "TOKEN_KEY": old})
    get_database(before).connections.store_consent("A", tokens(clock), connected_by_email="a@a.test")

    rotated = create_app({"TESTING": True, "CLOCK": clock, "DATABASE_URL": url, "TOKEN_KEY": f"{new}, {old}"})
    store = get_database(rotated)
    assert store.connections.tokens("A").refresh_token == REFRESH
    assert Fernet(new.encode()).decrypt(store.cipher.encrypt("x").encode()) == b"x"
