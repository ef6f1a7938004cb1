"""The Freshworks app `xero-panel package freshworks` writes: valid against JSON Schemas written from Freshworks'
documentation (manifest, installation parameters, request templates), and consistent with itself (every template
and function the code uses is declared, secure parameters only where Freshworks substitutes them)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from plugin.cli import main
from plugin.hosts.freshworks_package import APP_SOURCE, URL_PLACEHOLDER, check_public_url, write_app

SCHEMAS = Path(__file__).with_name("freshworks_schemas")
PUBLIC_URL = "https://panel.example.com"


def _schema(name: str) -> dict:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fw") / "freshworks-app"
    result = CliRunner().invoke(main, ["package", "freshworks", "--public-url", PUBLIC_URL + "/", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote the Freshworks app" in result.output
    return out


def _json(root: Path, name: str) -> dict:
    return json.loads((root / name).read_text())


def test_the_app_source_is_package_data_beside_the_module():
    assert (APP_SOURCE / "manifest.json").is_file() and (APP_SOURCE / "server" / "server.js").is_file()
    assert URL_PLACEHOLDER in (APP_SOURCE / "config" / "iparams.json").read_text()


def test_the_package_has_the_url_filled_in_and_no_placeholder_left(written):
    iparams = _json(written, "config/iparams.json")
    assert iparams["panel_url"]["default_value"] == PUBLIC_URL
    assert re.fullmatch(iparams["panel_url"]["type_attributes"]["regex"]["pattern"], PUBLIC_URL)
    for path in written.rglob("*"):
        if path.is_file():
            assert URL_PLACEHOLDER not in path.read_text(encoding="utf-8"), path
    assert {p.relative_to(written).as_posix() for p in written.rglob("*") if p.is_file()} == {
        "manifest.json", "config/iparams.json", "config/requests.json", "server/server.js", "app/index.html",
        "app/scripts/app.js", "app/styles/style.css", "app/styles/images/icon.svg"}


def test_the_manifest_is_valid_and_puts_the_app_in_the_three_entity_menus(written):
    manifest = _json(written, "manifest.json")
    jsonschema.validate(manifest, _schema("manifest"))
    modules = manifest["modules"]
    assert {name: list(modules[name]["location"]) for name in ("contact", "sales_account", "deal")} == {
        "contact": ["contact_entity_menu"], "sales_account": ["sales_account_entity_menu"],
        "deal": ["deal_entity_menu"]}
    for name in ("contact", "sales_account", "deal"):
        for placeholder in modules[name]["location"].values():
            assert (written / "app" / placeholder["url"]).is_file()
            assert (written / "app" / placeholder["icon"]).is_file()
    assert "dependencies" not in manifest  # the function needs Node's crypto only


def test_the_installation_parameters_are_valid_and_secrets_are_secure(written):
    iparams = _json(written, "config/iparams.json")
    jsonschema.validate(iparams, _schema("iparams"))
    assert set(iparams) == {"panel_url", "panel_secret", "freshsales_domain", "freshsales_api_key"}
    assert {name for name, spec in iparams.items() if spec.get("secure")} == {"panel_secret", "freshsales_api_key"}
    assert all(spec["required"] for spec in iparams.values())
    secret = iparams["panel_secret"]["type_attributes"]["regex"]["pattern"]
    assert re.fullmatch(secret, "x" * 32) and not re.fullmatch(secret, "x" * 31)
    domain = iparams["freshsales_domain"]["type_attributes"]["regex"]["pattern"]
    assert re.fullmatch(domain, "acme.myfreshworks.com")
    assert not re.fullmatch(domain, "https://acme.myfreshworks.com")


def test_the_request_templates_are_valid_declared_and_keep_secrets_in_headers(written):
    requests_json = _json(written, "config/requests.json")
    jsonschema.validate(requests_json, _schema("requests"))
    manifest = _json(written, "manifest.json")
    assert set(manifest["modules"]["common"]["requests"]) == set(requests_json)
    secure = {name for name, spec in _json(written, "config/iparams.json").items() if spec.get("secure")}
    for template in requests_json.values():
        schema = template["schema"]
        unsafe = json.dumps([schema["host"], schema["path"], schema.get("query", {})])
        assert not any(f"iparam.{name}" in unsafe for name in secure)  # Freshworks substitutes them in headers only
        assert schema["protocol"] == "https" and schema["method"] == "GET"  # read-only towards Freshsales too
        assert schema["path"].startswith("/crm/sales/api/")
        assert schema["headers"]["Authorization"] == "Token token=<%= iparam.freshsales_api_key %>"


def test_every_template_and_function_the_code_uses_is_declared(written):
    manifest = _json(written, "manifest.json")["modules"]["common"]
    server = (written / "server" / "server.js").read_text()
    used = set(re.findall(r'"(freshsales[A-Za-z]+)"', server))
    assert used == set(manifest["requests"])
    exported = set(re.findall(r"^  ([A-Za-z_][A-Za-z0-9_]*): async function", server, re.MULTILINE))
    invoked = set(re.findall(r'request\.invoke\("([A-Za-z0-9_]+)"', (written / "app/scripts/app.js").read_text()))
    assert invoked == exported == set(manifest["functions"]) == {"panelContextUrl"}
    page = (written / "app" / "index.html").read_text()
    assert '<script src="{{{appclient}}}"></script>' in page and "scripts/app.js" in page


def test_the_front_end_holds_no_secret_and_reads_only_what_freshworks_gives_it(written):
    script = (written / "app" / "scripts" / "app.js").read_text()
    assert "iparams" not in script and "panel_secret" not in script and "api_key" not in script
    assert 'client.data.get("currentEntityInfo")' in script and 'client.data.get("loggedInUser")' in script


@pytest.mark.parametrize("url", ["http://panel.example.com", "ftp://x", "https://panel.example.com/?a=1",
                                 "https://panel.example.com/#x", "https://panel.example.com/\"x", "panel.example.com"])
def test_the_public_url_must_be_https_without_a_query(url, tmp_path):
    with pytest.raises(ValueError):
        check_public_url(url)
    result = CliRunner().invoke(main, ["package", "freshworks", "--public-url", url, "--out", str(tmp_path / "o")])
    assert result.exit_code != 0 and "--public-url" in result.output
    assert not (tmp_path / "o").exists()


def test_loopback_http_is_allowed_for_the_dev_kit(tmp_path):
    assert check_public_url("http://127.0.0.1:5002/") == "http://127.0.0.1:5002"
    assert "app/index.html" in {p.as_posix() for p in write_app("http://127.0.0.1:5002", tmp_path)}
