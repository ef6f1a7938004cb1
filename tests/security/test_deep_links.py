"""Deep links into Xero encode their parts: a ShortCode or id can't add, change or cut query parameters."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from msgspec.structs import replace

from plugin.xero.links import deep_link
from tests.panel.builders import make_invoice

BASE = "https://go.xero.com"


def test_short_code_and_ids_are_url_encoded():
    invoice = replace(make_invoice(), invoice_id="abc&redirecturl=https://evil.example#x y")
    link = deep_link(BASE, "!kW7dQ&shortcode=!evil", invoice)
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "go.xero.com", "/organisationlogin/default.aspx")
    assert parts.fragment == ""
    query = parse_qs(parts.query)
    assert query["shortcode"] == ["!kW7dQ&shortcode=!evil"]
    target = query["redirecturl"]
    assert len(target) == 1 and target[0].startswith("/AccountsReceivable/View.aspx?InvoiceID=")
    assert parse_qs(urlsplit(target[0]).query)["InvoiceID"] == [invoice.invoice_id]


def test_without_a_short_code_the_id_is_still_encoded():
    invoice = replace(make_invoice(), invoice_id="a&b=c#d")
    parts = urlsplit(deep_link(BASE, None, invoice))
    assert parts.path == "/AccountsReceivable/View.aspx" and parts.fragment == ""
    assert parse_qs(parts.query) == {"InvoiceID": ["a&b=c#d"]}


def test_ordinary_links_still_read_as_xero_documents_them():
    invoice = replace(make_invoice(), invoice_id="0b5a1c2d-0000-4000-8000-000000000001")
    link = deep_link(BASE, "!kW7dQ", invoice)
    assert parse_qs(urlsplit(link).query) == {
        "shortcode": ["!kW7dQ"], "redirecturl": [f"/AccountsReceivable/View.aspx?InvoiceID={invoice.invoice_id}"]}
