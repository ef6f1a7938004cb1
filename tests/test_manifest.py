"""The marketplace descriptor must describe the app that actually runs: URLs, scopes, origins, version."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from plugin import settings as configuration
from plugin.web.paths import DATA_ROOT, MANIFEST_PATH

PLACEMENTS = {"contact": "contact_entity_menu", "account": "sales_account_entity_menu", "deal": "deal_entity_menu"}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(MANIFEST_PATH.read_text())


def _paths_in(node: object) -> Iterator[str]:
    """Every string in the manifest that is an app-relative URL of ours (a host's API paths are the host's)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key != "api":
                yield from _paths_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from _paths_in(value)
    elif isinstance(node, str) and node.startswith("/"):
        yield node


def _is_served(app, path: str) -> bool:
    """Served with GET, or with the POST or DELETE a host calls it with (session renewal, uninstall callback)."""
    adapter = app.url_map.bind("localhost")
    for method in ("GET", "POST", "DELETE"):
        try:
            adapter.match(path, method=method)
        except RequestRedirect:  # served, with Flask's trailing-slash redirect
            return True
        except (NotFound, MethodNotAllowed):
            continue
        return True
    return False


def test_manifest_describes_a_read_only_app(manifest):
    assert manifest["app"]["read_only"] is True
    assert manifest["app"]["id"] and manifest["app"]["name"] and manifest["app"]["summary"]


def test_manifest_version_is_the_project_version(manifest):
    pyproject = DATA_ROOT / "pyproject.toml"
    if not pyproject.exists():
        pytest.skip("installed from a wheel: no pyproject.toml beside the manifest")
    assert manifest["app"]["version"] == tomllib.loads(pyproject.read_text())["project"]["version"]


def test_every_url_in_the_manifest_is_served_by_the_app(manifest, app):
    paths = sorted(set(_paths_in(manifest)))
    assert {"/panel", "/admin", "/admin/oauth/callback"} <= set(paths)
    unserved = [path for path in paths if not _is_served(app, path)]
    assert unserved == []


def test_manifest_scopes_are_exactly_the_scopes_the_client_requests(manifest, app):
    assert manifest["oauth"]["scopes"] == configuration.GRANULAR_SCOPES.split()
    assert tuple(manifest["oauth"]["scopes"]) == configuration.xero_scopes(app.config)
    assert manifest["oauth"]["scopes_config_key"] in configuration.DEFAULTS


def test_the_authorize_url_the_admin_flow_sends_asks_for_exactly_the_manifest_scopes(manifest, app):
    from urllib.parse import parse_qs, urlsplit

    from plugin.services import services

    with app.app_context():
        url = services().oauth().authorization_request().url
    query = parse_qs(urlsplit(url).query)
    assert query["scope"][0].split() == manifest["oauth"]["scopes"]
    assert urlsplit(query["redirect_uri"][0]).path == manifest["oauth"]["redirect_path"]


def test_every_record_type_has_the_panel_and_its_freshworks_placement(manifest):
    record_types = manifest["record_types"]
    assert set(record_types) == set(PLACEMENTS)
    for record_type, placement in PLACEMENTS.items():
        assert record_types[record_type]["panel_url"] == "/panel"
        assert record_types[record_type]["placement"] == placement
        assert manifest["placements"][placement] == {"record_type": record_type, "url": "/panel"}


def test_frame_ancestors_default_to_the_configured_crm_origins(manifest):
    embedding = manifest["embedding"]
    assert embedding["frame_ancestors_config_key"] == "CRM_ORIGINS"
    assert tuple(embedding["frame_ancestors"]) == configuration.crm_origins(configuration.DEFAULTS)


def test_embedding_context_is_a_short_lived_hs256_jwt_passed_as_a_query_parameter(manifest):
    context = manifest["embedding"]["context"]
    assert context["alg"] == "HS256"
    assert context["max_ttl_seconds"] == 600
    assert context["transport"] == "?context="
    assert set(context["required_claims"]) == set(context["claims"])
    assert set(context["claims"]["record"]) >= {"type", "id", "name", "email", "company", "account", "contact"}
    for key in ("secret_config_key", "issuer_config_key", "audience_config_key"):
        assert context[key] in configuration.DEFAULTS


def test_manifest_points_the_oauth_redirect_at_the_admin_callback(manifest):
    assert manifest["oauth"]["redirect_path"] == "/admin/oauth/callback"
    assert manifest["admin"]["url"] == "/admin"
    assert manifest["admin"]["roles"] == ["admin"]


def test_each_host_lists_where_the_panel_appears_and_the_urls_to_register(manifest, app):
    hosts = manifest["hosts"]
    assert set(hosts) >= {"generic", "pipedrive"}
    pipedrive = hosts["pipedrive"]
    assert pipedrive["panel"]["appears_on"] == ["deal", "person", "organization"]
    assert set(pipedrive["panel"]["record_types"].values()) == set(PLACEMENTS)
    registered = [pipedrive["panel"]["url"], pipedrive["settings"]["url"], pipedrive["oauth"]["callback_url"],
                  pipedrive["uninstall_callback"]["url"]]
    assert registered == ["/hosts/pipedrive/panel", "/hosts/pipedrive/settings", "/hosts/pipedrive/oauth/callback",
                          "/hosts/pipedrive/uninstall"]
    assert all(_is_served(app, path) for path in registered)
    for key in ("secret_config_key", "fallback_secret_config_key"):
        assert pipedrive["token"][key] in configuration.DEFAULTS
    assert tuple(pipedrive["frame_ancestors"]) == tuple(
        configuration.DEFAULTS[pipedrive["frame_ancestors_config_key"]].split())


def test_salesforce_lists_its_canvas_url_settings_and_origins(manifest, app):
    salesforce = manifest["hosts"]["salesforce"]
    assert salesforce["panel"]["url"] == salesforce["settings"]["url"] == "/hosts/salesforce/canvas"
    assert _is_served(app, salesforce["panel"]["url"])
    assert set(salesforce["panel"]["record_types"].values()) == set(PLACEMENTS)
    for key in (salesforce["signed_request"]["secret_config_key"], salesforce["admin"]["permission_set_config_key"],
                salesforce["api"]["origins_config_key"], salesforce["api"]["version_config_key"]):
        assert key in configuration.DEFAULTS
    assert salesforce["admin"]["permission_set"] == configuration.DEFAULTS["SALESFORCE_ADMIN_PERMISSION_SET"]
    assert tuple(salesforce["frame_ancestors"]) == tuple(
        configuration.DEFAULTS[salesforce["frame_ancestors_config_key"]].split())


def test_the_freshworks_host_matches_the_app_package_writes(manifest, app):
    from plugin.hosts import freshworks
    from plugin.hosts.freshworks_package import APP_SOURCE

    host = manifest["hosts"]["freshworks"]
    app_manifest = json.loads((APP_SOURCE / "manifest.json").read_text())
    iparams = json.loads((APP_SOURCE / "config" / "iparams.json").read_text())
    templates = json.loads((APP_SOURCE / "config" / "requests.json").read_text())
    assert host["placements"] == PLACEMENTS
    assert {module: list(app_manifest["modules"][module]["location"]) for module in host["panel"]["appears_on"]} == {
        "contact": ["contact_entity_menu"], "sales_account": ["sales_account_entity_menu"],
        "deal": ["deal_entity_menu"]}
    assert [host["panel"]["url"], host["admin"]["url"]] == ["/panel", "/admin"]
    assert all(_is_served(app, path) for path in (host["panel"]["url"], host["admin"]["url"]))
    assert host["installation_parameters"] == list(iparams)
    assert host["secure_installation_parameters"] == [name for name, spec in iparams.items() if spec.get("secure")]
    assert [host["serverless"]["function"]] == list(app_manifest["modules"]["common"]["functions"])
    common = app_manifest["modules"]["common"]
    assert host["serverless"]["request_templates"] == list(templates) == list(common["requests"])
    paths = [template["schema"]["path"] for template in templates.values()]
    assert host["api"]["reads"] == [path.replace("<%= context.id %>", "{id}") for path in paths]
    context = host["context"]
    assert context["audience"] == freshworks.AUDIENCE and context["max_ttl_seconds"] == freshworks.MAX_LIFETIME_SECONDS
    for key in ("secret_config_key", "domains_config_key"):
        assert context[key] in configuration.DEFAULTS
    assert tuple(host["frame_ancestors"]) == tuple(
        configuration.DEFAULTS[host["frame_ancestors_config_key"]].split())
