"""Every kind of emulator answer, validated against Xero's own OpenAPI specs (read from ../shared at test time).

openapi-core checks each answer against the operation's declared response (status, content type, schema).
Additional properties are allowed by these schemas (none says `additionalProperties: false`), so what Xero sends
beyond the spec (DateString, DueDateString, the envelope's Id/Status/ProviderName/DateTimeUTC) passes, while every
property the spec does define is checked: types, enums, uuid formats. The GET operations declare only 200, so
error bodies are checked against the schemas the specs give for them: QueryParseException against
components/schemas/Error, token answers against AccessToken.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.devkit.emulator.conftest import Api

# openapi-core cannot check OAuth2 security schemes and warns; bearer tokens are tested in test_identity/test_api.
pytestmark = pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")

SERVED_OPERATIONS = {"getOrganisations", "getContacts", "getContact", "getInvoices", "getInvoice", "getPayments",
                     "getConnections", "deleteConnection"}


def _load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@pytest.fixture(scope="session")
def accounting_doc(specs_dir):
    return _load(specs_dir / "xero_accounting.yaml")


@pytest.fixture(scope="session")
def identity_doc(specs_dir):
    return _load(specs_dir / "xero-identity.yaml")


XERO_NAIVE_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?$")
RFC3339_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def date_time_as_xero_writes_it(value) -> bool:
    """RFC 3339, or the zone-less UTC form of the identity spec's own example ("2019-12-07T18:46:19.5165400"),
    which is what Xero sends in /connections; the spec's `format: date-time` contradicts its example there."""
    return not isinstance(value, str) or bool(RFC3339_DATETIME.match(value) or XERO_NAIVE_DATETIME.match(value))


class Checker:
    """Validates requests/answers against one spec, with its server rebased onto the emulator."""

    def __init__(self, document: dict, base_url: str, prefix: str) -> None:
        document = {**document, "servers": [{"url": base_url + prefix}]}
        self.document = document
        config = Config(spec_validator_cls=None, extra_format_validators={"date-time": date_time_as_xero_writes_it})
        self.openapi = OpenAPI.from_dict(document, config=config)
        self.base_url, self.prefix = base_url, prefix
        self.operations_seen: set[str] = set()

    def check(self, answer: requests.Response, *, spec_path: str | None = None) -> None:
        prepared = answer.request
        path = spec_path or prepared.path_url.split("?")[0].removeprefix(self.prefix)
        args = dict(parse_qsl(urlsplit(prepared.url).query))
        request = MockRequest(self.base_url, prepared.method.lower(), self.prefix + path, args=args,
                              headers=dict(prepared.headers))
        self.openapi.validate_request(request)
        content_type = answer.headers.get("Content-Type", "").split(";")[0] or "application/json"
        response = MockResponse(answer.content, status_code=answer.status_code, headers=dict(answer.headers),
                                content_type=content_type)
        self.openapi.validate_response(request, response)
        self.operations_seen.add(self._operation_id(prepared.method.lower(), path))

    def _operation_id(self, method: str, path: str) -> str:
        """The operation a path belongs to; among equal templates (/Contacts/{ContactNumber} and
        /Contacts/{ContactID}) the one taking an ID, as the emulator's paths are ids."""
        matches = []
        for template, item in self.document["paths"].items():
            pattern = "^" + "[^/]+".join(re.escape(part) for part in re.split(r"\{[^}]+\}", template)) + "$"
            if method in item and re.match(pattern, path):
                matches.append((not template.endswith("ID}"), template, item[method]["operationId"]))
        assert matches, f"no operation for {method} {path}"
        return min(matches)[2]

    def check_schema(self, instance, schema_name: str) -> None:
        resource = Resource.from_contents(self.document, default_specification=DRAFT4)
        registry = Registry().with_resource("urn:spec", resource)
        validator = OAS30Validator({"$ref": f"urn:spec#/components/schemas/{schema_name}"}, registry=registry)
        validator.validate(instance)


@pytest.fixture(scope="session")
def accounting_checker(accounting_doc, emulator_server):
    return Checker(accounting_doc, emulator_server.url, "/api.xro/2.0")


@pytest.fixture(scope="session")
def identity_checker(identity_doc, emulator_server):
    return Checker(identity_doc, emulator_server.url, "")


def _pick_invoices(api):
    invoices = api.get("Invoices").json()["Invoices"]
    with_credit = next(i for i in invoices if i["CreditNotes"])
    with_instalments = next(i for i in invoices if len(i["Payments"]) >= 2)
    return invoices, with_credit, with_instalments


ORGANISATION_AND_CONTACTS = [
    ("Organisation", {}),
    ("Contacts", {}),
    ("Contacts", {"page": "1", "pageSize": "10"}),
    ("Contacts", {"summaryOnly": "true", "includeArchived": "true"}),
    ("Contacts", {"where": 'EmailAddress=="accounts@harbourgroup.co.nz"', "order": "Name DESC"}),
    ("Contacts", {"searchTerm": "harbour", "page": "1"}),
    ("Invoices", {}),
    ("Invoices", {"page": "1", "pageSize": "50"}),
    ("Invoices", {"page": "3", "pageSize": "100", "order": "Date DESC"}),
    ("Invoices", {"Statuses": "AUTHORISED,PAID", "summaryOnly": "true"}),
    ("Invoices", {"where": 'Type=="ACCPAY" AND Status=="PAID"', "page": "1"}),
    ("Invoices", {"searchTerm": "INV-00", "page": "2"}),
    ("Payments", {}),
    ("Payments", {"page": "1", "pageSize": "20"}),
]


@pytest.mark.parametrize(("path", "params"), ORGANISATION_AND_CONTACTS)
def test_list_answers_match_the_accounting_spec(accounting_checker, api, path, params):
    answer = api.get(path, params)

    assert answer.status_code == 200, answer.text
    accounting_checker.check(answer)


def test_single_objects_match_the_accounting_spec(accounting_checker, api):
    invoices, with_credit, with_instalments = _pick_invoices(api)
    contact_id = invoices[0]["Contact"]["ContactID"]
    answers = [api.get(f"Invoices/{with_credit['InvoiceID']}"), api.get(f"Invoices/{with_instalments['InvoiceID']}"),
               api.get(f"Contacts/{contact_id}"),
               api.get("Invoices", {"ContactIDs": contact_id, "IDs": with_credit["InvoiceID"]}),
               api.get("Invoices", {"InvoiceNumbers": invoices[0]["InvoiceNumber"]}),
               api.get("Invoices", headers={"If-Modified-Since": "2026-02-01T00:00:00Z"})]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        accounting_checker.check(answer)
    by_number = api.get(f"Invoices/{invoices[0]['InvoiceNumber']}")
    assert by_number.status_code == 200
    accounting_checker.check(by_number, spec_path="/Invoices/" + invoices[0]["InvoiceID"])


def test_online_invoices_and_pdfs_match_the_accounting_spec(accounting_checker, api):
    invoices = api.get("Invoices").json()["Invoices"]
    approved = next(i for i in invoices if i["Type"] == "ACCREC" and i["Status"] == "AUTHORISED")
    draft = next(i for i in invoices if i["Type"] == "ACCREC" and i["Status"] == "DRAFT")

    online = api.get(f"Invoices/{approved['InvoiceID']}/OnlineInvoice")
    assert online.status_code == 200, online.text
    accounting_checker.check(online)
    refused = api.get(f"Invoices/{draft['InvoiceID']}/OnlineInvoice")
    assert refused.status_code == 400
    accounting_checker.check_schema(refused.json(), "Error")

    pdf = api.get(f"Invoices/{approved['InvoiceID']}", headers={"Accept": "application/pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    # The spec files this operation under /Invoices/{InvoiceID}/pdf with `x-path: /Invoices/{InvoiceID}`: the PDF is
    # the invoice's own path asked for with Accept: application/pdf.
    accounting_checker.check(pdf, spec_path=f"/Invoices/{approved['InvoiceID']}/pdf")


def test_the_other_organisation_matches_too(accounting_checker, emulator, tokens, joinery_id):
    api = Api(emulator.url, tokens["access_token"], joinery_id)
    for path in ("Organisation", "Contacts", "Invoices", "Payments"):
        answer = api.get(path, {"page": "1"} if path != "Organisation" else None)
        assert answer.status_code == 200
        accounting_checker.check(answer)


def test_query_parse_errors_match_the_error_schema(accounting_checker, api):
    answer = api.get("Invoices", {"where": 'Status=="PAID" AND'})

    assert answer.status_code == 400
    accounting_checker.check_schema(answer.json(), "Error")
    assert answer.json()["Type"] == "QueryParseException"


def test_connections_match_the_identity_spec(identity_checker, emulator, tokens):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {tokens['access_token']}"
    listed = session.get(f"{emulator.url}/connections", timeout=10)
    identity_checker.check(listed, spec_path="/Connections")
    event_id = listed.json()[0]["authEventId"]
    filtered = session.get(f"{emulator.url}/connections", params={"authEventId": event_id}, timeout=10)
    identity_checker.check(filtered, spec_path="/Connections")
    removed = session.delete(f"{emulator.url}/connections/{listed.json()[0]['id']}", timeout=10)
    identity_checker.check(removed, spec_path=f"/Connections/{listed.json()[0]['id']}")
    assert removed.status_code == 204


def test_token_answers_match_the_access_token_schema(identity_checker, tokens):
    identity_checker.check_schema(tokens, "AccessToken")


def test_every_served_operation_was_validated(accounting_checker, identity_checker):
    """Runs last in this module: the tests above must have covered each operation the emulator serves."""
    seen = accounting_checker.operations_seen | identity_checker.operations_seen
    assert seen >= SERVED_OPERATIONS, SERVED_OPERATIONS - seen
