"""`xero-panel package salesforce --public-url URL` writes the connected app's Canvas settings, the Lightning
wrappers and the admin permission set, with our canvas URL in them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from click.testing import CliRunner

from plugin.cli import main

NS = {"md": "http://soap.sforce.com/2006/04/metadata"}
BASE = "force-app/main/default"


def run(tmp_path, *args: str):
    return CliRunner().invoke(main, ["package", "salesforce", "--out", str(tmp_path / "sf"), *args])


def test_the_package_has_the_canvas_settings_with_our_url(tmp_path):
    result = run(tmp_path, "--public-url", "https://panel.example.com/", "--contact-email", "ops@example.com")
    assert result.exit_code == 0, result.output
    assert "https://panel.example.com/hosts/salesforce/canvas" in result.output
    out = tmp_path / "sf"
    app = ET.parse(out / BASE / "connectedApps/Xero_Invoices.connectedApp-meta.xml").getroot()
    canvas = app.find("md:canvasConfig", NS)
    assert canvas.findtext("md:canvasUrl", namespaces=NS) == "https://panel.example.com/hosts/salesforce/canvas"
    assert canvas.findtext("md:accessMethod", namespaces=NS) == "Post"
    assert [e.text for e in canvas.findall("md:locations", NS)] == ["Aura", "Visualforce"]
    assert [e.text for e in app.findall("md:oauthConfig/md:scopes", NS)] == ["Api", "RefreshToken"]
    assert app.findtext("md:contactEmail", namespaces=NS) == "ops@example.com"
    assert json.loads((out / "sfdx-project.json").read_text())["packageDirectories"][0]["path"] == "force-app"
    permission_set = ET.parse(out / BASE / "permissionsets/Xero_Invoices_Admin.permissionset-meta.xml").getroot()
    assert permission_set.findtext("md:label", namespaces=NS) == "Xero Invoices Admin"
    settings = (out / "CANVAS_SETTINGS.md").read_text()
    assert "Signed Request (POST)" in settings and "XERO_PANEL_SALESFORCE_CONSUMER_SECRET" in settings


def test_the_record_page_wrapper_passes_the_record_id_to_the_canvas(tmp_path):
    assert run(tmp_path, "--public-url", "https://panel.example.com").exit_code == 0
    folder = tmp_path / "sf" / BASE / "aura/XeroInvoicesPanel"
    component = (folder / "XeroInvoicesPanel.cmp").read_text()
    # Well-formed markup (Aura's prefixes are Salesforce's own, never declared: declare them to parse).
    ET.fromstring(component.replace("<aura:component ", '<aura:component xmlns:aura="a" xmlns:force="f" ', 1))
    assert "force:hasRecordId" in component and "flexipage:availableForRecordHome" in component
    assert 'force:canvasApp developerName="Xero_Invoices"' in component
    assert 'parameters="{!v.canvasParameters}"' in component
    controller = (folder / "XeroInvoicesPanelController.js").read_text()
    assert "recordId: component.get('v.recordId')" in controller and "sObjectName" in controller
    settings = (tmp_path / "sf" / BASE / "aura/XeroInvoicesSettings/XeroInvoicesSettingsController.js").read_text()
    assert "view: 'settings'" in settings
    for name in ("XeroInvoicesPanel", "XeroInvoicesSettings"):
        ET.parse(tmp_path / "sf" / BASE / f"aura/{name}/{name}.cmp-meta.xml")


def test_the_public_url_must_be_a_base_url(tmp_path):
    assert run(tmp_path, "--public-url", "panel.example.com").exit_code != 0
    assert run(tmp_path, "--public-url", "https://panel.example.com/?x=1").exit_code != 0
    assert run(tmp_path).exit_code != 0  # --public-url is required
    plain = run(tmp_path, "--public-url", "http://127.0.0.1:5002")
    assert plain.exit_code == 0 and "HTTPS only" in plain.output
