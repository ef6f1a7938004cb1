"""`xero-panel demo --host freshworks` starts the Freshworks world on loopback (the app written out by the product's
own `package freshworks` command), and the dev kit's Freshsales behaves as the app expects: its API wants the key,
its placeholder pages run the app with the stub FDK client, whose invoke runs the serverless function under Node."""

from __future__ import annotations

import re
import shutil

import pytest
import requests
from click.testing import CliRunner

from devkit import commands
from devkit.freshworks.state import ADMIN_ID, REP_ID
from devkit.freshworks.world import run_freshworks_demo

pytestmark = pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")


def test_demo_host_freshworks_runs_the_freshworks_world(monkeypatch):
    calls = []
    monkeypatch.setattr("devkit.freshworks.world.run_freshworks_demo",
                        lambda ports, *, seed: calls.append((ports, seed)) or 0)
    result = CliRunner().invoke(commands.demo, ["--host", "freshworks", "--seed", "2"])
    assert result.exit_code == 0 and calls == [((5001, 5002, 5006), 2)]


def _placeholder(session: requests.Session, world, path: str) -> str:
    page = session.get(world.freshsales_url + path, timeout=10)
    assert page.status_code == 200
    return re.search(r'id="fdk-app"[^>]*src="([^"]+)"', page.text).group(1).replace("&amp;", "&")


def test_the_freshworks_demo_serves_freshsales_the_app_and_the_panel(capsys):
    seen: dict[str, object] = {}

    def look(world) -> None:
        base = world.freshsales_url
        seen["home"] = requests.get(base + "/", timeout=10).status_code
        seen["panel"] = requests.get(world.panel_url + "/healthz", timeout=10).status_code
        assert "https://panel" not in (world.app_dir / "config" / "iparams.json").read_text()
        assert world.panel_url in (world.app_dir / "config" / "iparams.json").read_text()

        browser = requests.Session()
        browser.cookies.set("fs_user", str(REP_ID))
        contact_id = next(iter(world.freshsales.contacts))
        src = _placeholder(browser, world, f"/contacts/{contact_id}")
        index = browser.get(base + src, timeout=10).text
        assert "{{{appclient}}}" not in index and "/_fdk/static/fdk-client.js" in index
        assert browser.get(base + "/app/scripts/app.js", timeout=10).status_code == 200
        instance = src.split("instance=")[1]
        data = browser.get(f"{base}/_fdk/instance/{instance}", timeout=10).json()
        assert data["currentEntityInfo"] == {"currentEntityId": contact_id, "currentEntityType": "contact"}
        assert data["loggedInUser"]["id"] == REP_ID
        user = data["loggedInUser"]
        args = {"page": "panel", "entity_type": "contact", "entity_id": str(contact_id), "user_id": str(user["id"]),
                "abilities": user["abilities"], "language": user["language"], "time_zone": user["time_zone"]}
        answer = browser.post(base + "/_fdk/invoke", json={"instance": instance, "function": "panelContextUrl",
                                                           "args": args}, timeout=30)
        assert answer.status_code == 200, answer.text
        url = answer.json()["response"]["url"]
        seen["handover"] = requests.get(url, timeout=10, allow_redirects=False).status_code
        admin = browser.post(base + "/_fdk/invoke", json={"instance": instance, "function": "panelContextUrl",
                                                          "args": {**args, "page": "admin"}}, timeout=30)
        seen["member_admin"] = (admin.status_code, admin.json()["message"])
        seen["unknown_instance"] = browser.post(base + "/_fdk/invoke", json={"instance": "nope"},
                                                timeout=10).status_code

        api = f"{base}/crm/sales/api/contacts/{contact_id}"
        key = {"Authorization": f"Token token={world.freshsales.api_key}"}
        seen["api"] = [requests.get(api, timeout=10).status_code,
                       requests.get(api, headers=key, timeout=10).status_code,
                       requests.get(api, headers={**key, "X-Template-Host": "evil.example"}, timeout=10).status_code,
                       requests.get(f"{base}/crm/sales/api/deals/1", headers=key, timeout=10).status_code]
        owners = requests.get(f"{base}/crm/sales/api/selector/owners", headers=key, timeout=10).json()["users"]
        seen["owners"] = sorted(user["id"] for user in owners)

    assert run_freshworks_demo((0, 0, 0), until=look) == 0
    assert seen["home"] == 200 and seen["panel"] == 200 and seen["handover"] == 303
    assert seen["member_admin"] == (403, "Only Freshsales admins can connect Xero.")
    assert seen["unknown_instance"] == 401
    assert seen["api"] == [401, 200, 404, 404]
    assert ADMIN_ID in seen["owners"] and REP_ID in seen["owners"]
    out = capsys.readouterr().out
    assert "Xero settings" in out and "demo@example.com" in out
