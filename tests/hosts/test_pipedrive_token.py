"""Pipedrive's iframe request, verified and mapped (plugin/hosts/pipedrive.py). Tokens are signed with PyJWT, a JWT
library the product does not use, so a mistake shared by our signer and our verifier can't hide here."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
import pytest

from plugin.hosts import pipedrive
from plugin.hosts.pipedrive import (
    Deal,
    Organization,
    Person,
    PipedriveRefused,
    PipedriveUser,
    jwt_secret,
    read_frame_request,
    verify_token,
)

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T = int(NOW.timestamp())
JWT_SECRET = "panel-jwt-secret-0123456789abcdef"
CLIENT_SECRET = "client-secret-fedcba9876543210-0123456789"


def sign(claims: dict, secret: str = JWT_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def claims(**overrides) -> dict:
    return {"userId": 102, "companyId": 1001, "iat": T - 5, "exp": T + 295, **overrides}


def panel_args(token: str, **overrides) -> dict:
    return {"id": "f-1", "userId": "102", "companyId": "1001", "token": token, "resource": "person",
            "view": "details", "selectedIds": "7", "theme": "light", **overrides}


def refused(args: dict, secret: str = JWT_SECRET) -> PipedriveRefused:
    with pytest.raises(PipedriveRefused) as caught:
        read_frame_request(args, secret=secret, now=NOW, panel=True)
    return caught.value


def test_a_valid_token_names_the_company_and_user_it_signed():
    request = read_frame_request(panel_args(sign(claims())), secret=JWT_SECRET, now=NOW, panel=True)
    assert request.identity.company_id == "1001"
    assert request.identity.user_id == "102"
    assert request.identity.account_id == "pipedrive:1001"
    assert (request.resource, request.record_type, request.record_id) == ("person", "contact", "7")
    assert (request.frame_id, request.theme) == ("f-1", "light")


def test_the_jwt_secret_wins_and_the_client_secret_is_the_fallback():
    assert jwt_secret({"PIPEDRIVE_JWT_SECRET": JWT_SECRET, "PIPEDRIVE_CLIENT_SECRET": CLIENT_SECRET}) == JWT_SECRET
    assert jwt_secret({"PIPEDRIVE_JWT_SECRET": "", "PIPEDRIVE_CLIENT_SECRET": CLIENT_SECRET}) == CLIENT_SECRET
    token = sign(claims(), CLIENT_SECRET)
    secret = jwt_secret({"PIPEDRIVE_CLIENT_SECRET": CLIENT_SECRET})
    assert verify_token(token, secret=secret, now=NOW).company_id == "1001"


def test_with_a_jwt_secret_set_a_token_signed_with_the_client_secret_is_refused():
    error = refused(panel_args(sign(claims(), CLIENT_SECRET)))
    assert error.status == 401
    assert "signature does not match" in error.message


def test_wrong_secret_is_refused():
    token = sign(claims(), "someone-elses-secret-0123456789abcdef")
    assert "was not signed by Pipedrive" in refused(panel_args(token)).message


def test_expired_token_is_refused():
    error = refused(panel_args(sign(claims(iat=T - 400, exp=T - 100))))
    assert "expired" in error.message


def test_a_token_older_than_ten_minutes_is_refused_even_without_exp():
    token = sign({"userId": 102, "companyId": 1001, "iat": T - 700})
    assert "more than 10 minutes old" in refused(panel_args(token)).message


def test_a_token_without_times_is_accepted_as_pipedrive_documents_only_the_ids():
    token = sign({"userId": 102, "companyId": 1001})
    assert verify_token(token, secret=JWT_SECRET, now=NOW).user_id == "102"


def test_a_token_from_the_future_is_refused():
    assert "future" in refused(panel_args(sign(claims(iat=T + 600, exp=T + 900)))).message


@pytest.mark.parametrize("missing", ["userId", "companyId"])
def test_missing_claims_are_refused(missing):
    body = claims()
    del body[missing]
    assert f"no '{missing}'" in refused(panel_args(sign(body))).message


def test_a_tampered_company_id_in_the_token_breaks_the_signature():
    header, payload, signature = sign(claims()).split(".")
    other = sign(claims(companyId=2002)).split(".")[1]
    error = refused(panel_args(f"{header}.{other}.{signature}"))
    assert "signature does not match" in error.message
    assert payload != other


def test_a_company_id_in_the_query_that_differs_from_the_token_is_refused():
    error = refused(panel_args(sign(claims()), companyId="2002"))
    assert "companyId does not match" in error.message


def test_a_user_id_in_the_query_that_differs_from_the_token_is_refused():
    assert "userId does not match" in refused(panel_args(sign(claims()), userId="101")).message


def test_other_algorithms_and_none_are_refused():
    assert "HS256" in refused(panel_args(sign(claims(), JWT_SECRET * 2, algorithm="HS512")), JWT_SECRET * 2).message
    unsigned = jwt.encode(claims(), key=None, algorithm="none")
    assert refused(panel_args(unsigned)).status == 401


def test_no_token_and_garbage_are_refused_in_plain_words():
    assert "did not send a sign-in token" in refused(panel_args("")).message
    assert "could not be read" in refused(panel_args("not.a.jwt")).message


def test_no_secret_configured_is_a_server_problem_not_a_pass():
    error = refused(panel_args(sign(claims())), secret="")
    assert error.status == 503


@pytest.mark.parametrize(("changes", "words"), [
    ({"resource": "lead"}, "deal, person and organization"),
    ({"selectedIds": ""}, "did not say which record"),
    ({"selectedIds": "3,4"}, "did not say which record"),
    ({"selectedIds": "../1"}, "did not say which record"),
    ({"id": "<script>"}, "frame id"),
])
def test_unusable_record_queries_are_refused(changes, words):
    assert words in refused(panel_args(sign(claims()), **changes)).message


def test_settings_requests_need_no_record():
    request = read_frame_request({"token": sign(claims()), "theme": "dark"}, secret=JWT_SECRET, now=NOW,
                                 panel=False)
    assert (request.identity.company_id, request.theme, request.resource) == ("1001", "dark", "")


def test_mapping_person_organization_and_deal_to_the_internal_context():
    identity = pipedrive.Identity(company_id="1001", user_id="103")
    user = PipedriveUser(id="103", name="Lena", email="lena@x.example", is_admin=False, locale="de_DE",
                         timezone="Europe/Berlin")
    org = Organization(id="4", name="Kauri Ltd")
    person = Person(id="7", name="Aroha", email="aroha@kauri.example", org_id="4")
    deal = Deal(id="9", title="Renewal", person_id="7", org_id="4")

    context = pipedrive.context_for(identity, user, pipedrive.person_record(person, org), jti="j", now=NOW)
    assert (context.host, context.account_id) == ("pipedrive", "pipedrive:1001")
    assert (context.user.role, context.user.locale, context.user.timezone) == ("member", "de-DE", "Europe/Berlin")
    assert (context.record.type, context.record.email, context.record.company) == (
        "contact", "aroha@kauri.example", "Kauri Ltd")

    account = pipedrive.organization_record(org)
    assert (account.type, account.id, account.name) == ("account", "4", "Kauri Ltd")

    record = pipedrive.deal_record(deal, person, org)
    assert (record.type, record.name, record.email, record.company) == (
        "deal", "Renewal", "aroha@kauri.example", "Kauri Ltd")
    assert record.account.id == "4" and record.contact.email == "aroha@kauri.example"


def test_an_admin_maps_to_the_admin_role_and_a_user_mismatch_is_refused():
    identity = pipedrive.Identity(company_id="1001", user_id="101")
    admin = PipedriveUser(id="101", name="Ada", email="ada@x.example", is_admin=True)
    assert pipedrive.context_for(identity, admin, None, jti="j", now=NOW).user.role == "admin"
    with pytest.raises(PipedriveRefused):
        pipedrive.context_for(identity, PipedriveUser(id="102", name="", email="", is_admin=True), None, jti="j",
                              now=NOW)
