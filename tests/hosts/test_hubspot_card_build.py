"""The HubSpot app card as HubSpot gets it: `xero-panel package hubspot` writes the project with our URLs, the wheel
carries it, the card builds with esbuild against @hubspot/ui-extensions from npm (pinned in .ci/hubspot-card, which
.ci/setup.sh installs), and it renders under Node with the SDK's own testing utilities
(@hubspot/ui-extensions/testing: createRenderer), showing a real card JSON from plugin/hosts/hubspot_card.summary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from plugin.cli import main
from plugin.domain.matching import ContactMatch, MatchMethod
from plugin.domain.text import N_
from plugin.hosts.hubspot_card import card_labels, summary
from plugin.hosts.hubspot_package import PLACEHOLDER, PROJECT
from plugin.web.i18n import translate
from tests.panel.builders import make_invoice

ROOT = Path(__file__).resolve().parents[2]
TOOLING = ROOT / ".ci" / "hubspot-card" / "node_modules"
ESBUILD = TOOLING / ".bin" / "esbuild"
CARD = "src/app/cards/XeroInvoicesCard.jsx"


def tooling() -> str:
    """The node binary, or skip saying why the card can't be built here."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the HubSpot card's build and render test need Node.js")
    if not (TOOLING / "@hubspot" / "ui-extensions" / "package.json").is_file() or not ESBUILD.exists():
        pytest.skip("the card's npm packages are not installed: run `bash .ci/setup.sh` (installs .ci/hubspot-card)")
    return node


def esbuild(entry: Path, out: Path, *extra: str) -> None:
    result = subprocess.run([str(ESBUILD), str(entry), "--bundle", "--jsx=automatic", "--format=esm",
                             f"--outfile={out}", "--log-level=warning", *extra],
                            env={**os.environ, "NODE_PATH": str(TOOLING)}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_package_writes_the_project_with_our_urls(tmp_path):
    out = tmp_path / "project"
    result = CliRunner().invoke(main, ["package", "hubspot", "--public-url", "https://panel.example.com/", "--out",
                                       str(out)])
    assert result.exit_code == 0, result.output
    app = json.loads((out / "src/app/app-hsmeta.json").read_text())
    assert app["config"]["permittedUrls"]["fetch"] == ["https://panel.example.com/hosts/hubspot"]
    assert app["config"]["permittedUrls"]["iframe"] == ["https://panel.example.com/panel",
                                                        "https://panel.example.com/admin"]
    assert app["config"]["auth"]["redirectUrls"] == ["https://panel.example.com/hosts/hubspot/oauth/callback"]
    card = json.loads((out / "src/app/cards/XeroInvoicesCard-hsmeta.json").read_text())
    assert card["config"]["location"] == "crm.record.sidebar"
    assert card["config"]["objectTypes"] == ["contacts", "companies", "deals"]
    assert 'PANEL_URL = "https://panel.example.com"' in (out / "src/app/cards/panelServer.js").read_text()
    assert not any(PLACEHOLDER in path.read_text() for path in out.rglob("*") if path.is_file())
    versions = json.loads((out / "src/app/cards/package.json").read_text())["dependencies"]
    assert versions == {"@hubspot/ui-extensions": "0.17.0", "react": "18.3.1"}  # pinned, as CI installs them


@pytest.mark.parametrize(("url", "words"), [("http://panel.example.com", "HTTPS"),
                                            ("https://localhost:5002", "localhost"),
                                            ("https://panel.example.com/?x=1", "without a query")])
def test_package_refuses_urls_hubspot_would_refuse(tmp_path, url, words):
    result = CliRunner().invoke(main, ["package", "hubspot", "--public-url", url, "--out", str(tmp_path / "p")])
    assert result.exit_code != 0 and words in result.output


def test_the_wheel_carries_the_project():
    from hatchling.builders.wheel import WheelBuilder

    carried = {entry.distribution_path for entry in WheelBuilder(str(ROOT)).recurse_included_files()}
    project = {f"plugin/hosts/hubspot_project/{path.relative_to(PROJECT).as_posix()}" for path in PROJECT.rglob("*")
               if path.is_file()}
    assert project and project <= carried


def test_the_card_builds_with_esbuild(tmp_path):
    tooling()
    CliRunner().invoke(main, ["package", "hubspot", "--public-url", "https://panel.example.com", "--out",
                              str(tmp_path / "project")])
    esbuild(tmp_path / "project" / CARD, tmp_path / "card.js")
    built = (tmp_path / "card.js").read_text()
    assert "https://panel.example.com" in built and "/hosts/hubspot/card" in built


TODAY = date(2026, 3, 1)
CUSTOMER = ContactMatch(MatchMethod.EMAIL, "contact-1", "Wellington Harbour Events Trust")


def invoices() -> list:
    return [make_invoice(total="500.00", due_date="2025-11-01"),
            make_invoice(total="120.00", due_date="2026-02-20"), make_invoice(total="80.00", due_date="2026-03-20"),
            make_invoice(total="300.00", currency="AUD", due_date="2026-01-15")]


def render(node: str, tmp_path: Path, card: dict, no_match: dict | None = None) -> None:
    """Run hubspot_card_render.test.jsx on `card` (and the no-match card), as HubSpot's testing utilities render it."""
    esbuild(ROOT / "tests/hosts/hubspot_card_render.test.jsx", tmp_path / "render.mjs", "--platform=node")
    env = {**os.environ, "CARD_JSON": json.dumps(card)}
    if no_match is not None:
        env["NO_MATCH_JSON"] = json.dumps(no_match)
    result = subprocess.run([node, str(tmp_path / "render.mjs")], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("ok")


def test_the_card_renders_with_hubspots_testing_utilities(tmp_path):
    node = tooling()
    card = {**summary(invoices(), today=TODAY, locale="en-NZ", customer=CUSTOMER,
                      link_for=lambda invoice: f"https://go.xero.com/{invoice.invoice_id}"),
            "actions": {"open_panel": True, "connect_xero": False}}  # no `labels`: the card's English fallback
    assert [total["currency"] for total in card["totals"]] == ["AUD", "NZD"]  # never added together
    render(node, tmp_path, card)


def test_the_card_shows_the_servers_words_and_what_was_tried(tmp_path, app):
    # The card's words come from the JSON, translated for the user's locale (here German, as HubSpot would sign it).
    node = tooling()
    with app.test_request_context(headers={"Accept-Language": "de-DE"}):
        labels = card_labels()
        card = {**summary(invoices(), today=TODAY, locale="de-DE", customer=CUSTOMER,
                          link_for=lambda invoice: f"https://go.xero.com/{invoice.invoice_id}"),
                "labels": labels, "actions": {"open_panel": True, "connect_xero": False}}
        no_match = {"state": "no_match", "message": translate(N_("We couldn't tell which Xero customer this is.")),
                    "tried": [translate(N_("No Xero customer has been linked to this record.")),
                              translate(N_("No Xero customer has the email “%(value)s”.", value="kim@example.com"))],
                    "labels": labels, "actions": {"open_panel": True, "connect_xero": False}}
    assert labels["open_panel"] == "Vollständiges Panel öffnen" and labels["tried"] == "Was wir versucht haben:"
    assert no_match["tried"][1] == "Kein Xero-Kunde hat die E-Mail-Adresse „kim@example.com“."
    assert card["urgent"][0]["late_text"] == "120 Tage überfällig" and card["urgent"][0]["due_text"] == "01.11.2025"
    assert card["totals"][1]["labels"] == {"owed": "Offen (NZD)", "overdue": "Überfällig (NZD)"}
    assert card["totals"][1]["owed"]["text"] == "700,00\xa0NZ$"  # amounts stay formatted for the locale
    render(node, tmp_path, card, no_match)



def test_the_manifest_describes_the_hubspot_host():
    from plugin import settings as configuration

    hubspot = json.loads((ROOT / "manifest.json").read_text())["hosts"]["hubspot"]
    assert hubspot["card"]["data_url"] == "/hosts/hubspot/card" and hubspot["account"] == "hubspot:<portalId>"
    app = json.loads((PROJECT / "src/app/app-hsmeta.json").read_text())
    assert hubspot["oauth"]["scopes"] == app["config"]["auth"]["requiredScopes"]
    assert " ".join(hubspot["oauth"]["scopes"]) == configuration.DEFAULTS["HUBSPOT_SCOPES"]
    assert tuple(hubspot["frame_ancestors"]) == tuple(configuration.DEFAULTS["HUBSPOT_FRAME_ORIGINS"].split())
    card = json.loads((PROJECT / "src/app/cards/XeroInvoicesCard-hsmeta.json").read_text())
    assert list(hubspot["card"]["object_types"]) == card["config"]["objectTypes"]
    assert hubspot["project"]["sdk"]["version"] == json.loads(
        (PROJECT / "src/app/cards/package.json").read_text())["dependencies"]["@hubspot/ui-extensions"]
