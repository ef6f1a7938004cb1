"""`xero-panel package salesforce --public-url URL`: the Salesforce side of the app as a Salesforce DX project, with our
canvas URL filled in, ready for `sf project deploy start` (README, "Salesforce").

It writes:
- the connected app (`connectedApps/Xero_Invoices.connectedApp-meta.xml`): Canvas enabled, canvas app URL
  `PUBLIC_URL/hosts/salesforce/canvas`, access method Signed Request (POST), locations Lightning Component and
  Visualforce, OAuth scopes `api` and `refresh_token`;
- two Aura components wrapping `force:canvasApp`: `XeroInvoicesPanel` for Contact, Account and Opportunity record
  pages (it passes `recordId` and `sObjectName` as canvas parameters) and `XeroInvoicesSettings` for an app page
  where admins connect Xero (it passes `view: settings`);
- the `Xero_Invoices_Admin` permission set: users assigned it are this app's admins;
- `CANVAS_SETTINGS.md`: the same settings to enter by hand in Setup, and the steps.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import click

from plugin.hosts.salesforce_api import DEFAULT_API_VERSION

APP_NAME = "Xero_Invoices"
ADMIN_PERMISSION_SET = "Xero_Invoices_Admin"
CANVAS_PATH = "/hosts/salesforce/canvas"
PANEL_COMPONENT = "XeroInvoicesPanel"
SETTINGS_COMPONENT = "XeroInvoicesSettings"
SCOPES = ("Api", "RefreshToken")  # metadata names of the OAuth scopes `api` and `refresh_token, offline_access`
LOCATIONS = ("Aura", "Visualforce")  # Setup's "Lightning Component" and "Visualforce Page"
PANEL_HEIGHT = "640px"


def canvas_url(public_url: str) -> str:
    return public_url.rstrip("/") + CANVAS_PATH


def files(public_url: str, *, contact_email: str, api_version: str = DEFAULT_API_VERSION) -> dict[str, str]:
    """Every file of the package, by path inside it."""
    url = canvas_url(public_url)
    base = "force-app/main/default"
    return {
        "sfdx-project.json": json.dumps({
            "packageDirectories": [{"path": "force-app", "default": True}],
            "name": "xero-invoices-panel", "namespace": "", "sourceApiVersion": api_version}, indent=2) + "\n",
        f"{base}/connectedApps/{APP_NAME}.connectedApp-meta.xml": _connected_app(url, contact_email),
        f"{base}/permissionsets/{ADMIN_PERMISSION_SET}.permissionset-meta.xml": _permission_set(),
        **_aura(base, PANEL_COMPONENT, api_version, record_page=True),
        **_aura(base, SETTINGS_COMPONENT, api_version, record_page=False),
        "CANVAS_SETTINGS.md": _instructions(url, public_url),
    }


@click.command("salesforce", help="Write the Salesforce package: the connected app's Canvas settings, the Lightning "
               "components that place the panel on Contact, Account and Opportunity pages, and the admin permission "
               "set, as a Salesforce DX project.")
@click.option("--public-url", required=True, help="where Salesforce's users reach this app over HTTPS (PUBLIC_URL)")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("dist/salesforce"),
              show_default=True, help="folder to write the project into")
@click.option("--contact-email", default="admin@example.com", show_default=True,
              help="the connected app's contact email (Salesforce requires one)")
@click.option("--api-version", default=DEFAULT_API_VERSION, show_default=True, help="Salesforce API version")
def package_command(public_url: str, out_dir: Path, contact_email: str, api_version: str) -> None:
    parts = urlsplit(public_url)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise click.BadParameter("give the app's base URL, e.g. https://xero-panel.example.com",
                                 param_hint="--public-url")
    if parts.scheme != "https":
        click.echo("Warning: Salesforce frames canvas apps over HTTPS only; use an https:// URL outside the dev kit.",
                   err=True)
    written = files(public_url, contact_email=contact_email, api_version=api_version)
    for relative, text in written.items():
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    click.echo(f"Wrote {len(written)} files to {out_dir}/ (canvas app URL {canvas_url(public_url)}).")
    click.echo(f"Next: read {out_dir / 'CANVAS_SETTINGS.md'}, then `sf project deploy start` in {out_dir}/.")


def _connected_app(url: str, contact_email: str) -> str:
    scopes = "\n".join(f"        <scopes>{scope}</scopes>" for scope in SCOPES)
    locations = "\n".join(f"        <locations>{location}</locations>" for location in LOCATIONS)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata">
    <label>Xero Invoices</label>
    <contactEmail>{escape(contact_email)}</contactEmail>
    <description>Read-only Xero invoices on Contact, Account and Opportunity pages (a canvas app).</description>
    <canvasConfig>
        <accessMethod>Post</accessMethod>
        <canvasUrl>{escape(url)}</canvasUrl>
{locations}
    </canvasConfig>
    <oauthConfig>
        <callbackUrl>{escape(url)}</callbackUrl>
{scopes}
    </oauthConfig>
</ConnectedApp>
"""


def _permission_set() -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">
    <label>Xero Invoices Admin</label>
    <description>Users with this permission set may connect Xero and manage the Xero Invoices panel. Xero Invoices
checks it through the REST API (PermissionSetAssignment), which Salesforce lets only users with View Setup and
Configuration read: give it to admins who have that permission.</description>
    <hasActivationRequired>false</hasActivationRequired>
    <!-- API name {ADMIN_PERMISSION_SET}: the app's SALESFORCE_ADMIN_PERMISSION_SET setting -->
</PermissionSet>
"""


def _aura(base: str, name: str, api_version: str, *, record_page: bool) -> dict[str, str]:
    folder = f"{base}/aura/{name}"
    if record_page:
        implements = "flexipage:availableForRecordHome,force:hasRecordId,force:hasSObjectName"
        parameters = "{recordId: component.get('v.recordId'), sObjectName: component.get('v.sObjectName')}"
        description = "Xero invoices of this Contact, Account or Opportunity"
    else:
        implements = "flexipage:availableForAllPageTypes"
        parameters = "{view: 'settings'}"
        description = "Connect Xero to the Xero Invoices panel (admins)"
    component = f"""<aura:component implements="{implements}" access="global"
                description="{description}">
    <!-- Canvas in Lightning: force:canvasApp frames the connected app's canvas URL with a signed request (POST).
         Sfdc.canvas is not used inside Lightning; the record comes through the canvas parameters. -->
    <aura:attribute name="height" type="String" default="{PANEL_HEIGHT}"/>
    <aura:attribute name="canvasParameters" type="String"/>
    <aura:handler name="init" value="{{!this}}" action="{{!c.doInit}}"/>
    <force:canvasApp developerName="{APP_NAME}" parameters="{{!v.canvasParameters}}" height="{{!v.height}}"
                     width="100%" scrolling="auto" border="0"/>
</aura:component>
"""
    controller = f"""({{
    doInit: function (component) {{
        component.set("v.canvasParameters", JSON.stringify({parameters}));
    }}
}})
"""
    design = """<design:component>
    <design:attribute name="height" label="Height (e.g. 640px)"/>
</design:component>
"""
    meta = f"""<?xml version="1.0" encoding="UTF-8"?>
<AuraDefinitionBundle xmlns="http://soap.sforce.com/2006/04/metadata">
    <apiVersion>{api_version}</apiVersion>
    <description>{description}</description>
</AuraDefinitionBundle>
"""
    return {
        f"{folder}/{name}.cmp": component,
        f"{folder}/{name}Controller.js": controller,
        f"{folder}/{name}.design": design,
        f"{folder}/{name}.cmp-meta.xml": meta,
    }


def _instructions(url: str, public_url: str) -> str:
    return f"""# Xero Invoices for Salesforce: canvas settings

Deploy this project (`sf project deploy start` here), or enter the same settings by hand:

| Setup > App Manager > New Connected App | value |
| --- | --- |
| Connected App Name / API Name | Xero Invoices / {APP_NAME} |
| Enable OAuth Settings | on; callback URL `{url}` |
| Selected OAuth Scopes | `api` and `refresh_token, offline_access` |
| Canvas App Settings > Canvas | on |
| Canvas App URL | `{url}` |
| Access Method | Signed Request (POST) |
| Locations | Lightning Component, Visualforce Page |

Then:

1. In the connected app, Manage > Edit Policies: Permitted Users = "Admin approved users are pre-authorized";
   add the profiles or permission sets of the users who see the panel.
2. Copy the connected app's Consumer Secret (View > Consumer Key and Secret) into this app's setting
   `XERO_PANEL_SALESFORCE_CONSUMER_SECRET` and restart it.
3. Assign the permission set **Xero Invoices Admin** ({ADMIN_PERMISSION_SET}) to the admins who connect Xero. They need
   View Setup and Configuration as well (Salesforce shows permission set assignments only to such users).
4. In the Lightning App Builder, add the custom component **{PANEL_COMPONENT}** to the Contact, Account and
   Opportunity record pages, and **{SETTINGS_COMPONENT}** to an app page for admins; save and activate.
5. An admin opens that app page, clicks Connect to Xero, signs in to Xero in the window that opens, picks the
   organisation and presses Save. Reps then see invoices on every Contact, Account and Opportunity.

The panel is served from {public_url}; allow it to be framed by your Salesforce domains
(`XERO_PANEL_SALESFORCE_FRAME_ORIGINS`, default `https://*.force.com https://*.salesforce.com`).
"""
