"""The default SQLite file holds tokens (encrypted) and every account's settings: only the app's user reads it."""

from __future__ import annotations

import stat

from plugin import create_app
from plugin.storage import get_database


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_instance_folder_is_0700_and_the_sqlite_files_0600(tmp_path, clock):
    instance = tmp_path / "fresh" / "instance"
    app = create_app({"TESTING": True, "CLOCK": clock, "INSTANCE_PATH": str(instance)})
    get_database(app).connections.get("acct-1")  # open it and read
    with app.app_context():
        get_database().installations.get_or_create("acct-1")  # and write (WAL files)
    assert mode(instance) == 0o700
    files = sorted(instance.glob("panel.sqlite*"))
    assert files and files[0].name == "panel.sqlite"
    for path in files:
        assert mode(path) == 0o600, path.name
    get_database(app).dispose()
