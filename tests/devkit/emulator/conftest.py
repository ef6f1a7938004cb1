"""Helpers for the emulator's own tests: a token set, a tenant, and an Accounting API caller over real HTTP."""

from __future__ import annotations

import pytest
import requests

from devkit.emulator.seed import SECOND_EMAIL


class Api:
    """Calls the served emulator as a Xero client would: bearer token, xero-tenant-id, Accept: application/json."""

    def __init__(self, base_url: str, access_token: str, tenant_id: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {access_token}", "xero-tenant-id": tenant_id,
                                     "Accept": "application/json"})

    def get(self, path: str, params: dict | None = None, headers: dict | None = None,
            timeout: float = 10.0) -> requests.Response:
        url = path if path.startswith("http") else f"{self.base_url}/api.xro/2.0/{path.lstrip('/')}"
        return self.session.get(url, params=params, headers=headers, timeout=timeout)


@pytest.fixture
def tokens(emulator) -> dict:
    return emulator.state.issue_token_set()


@pytest.fixture
def studio_id(emulator) -> str:
    return emulator.state.tenants[0]["tenant_id"]


@pytest.fixture
def joinery_id(emulator) -> str:
    return emulator.state.tenants[1]["tenant_id"]


@pytest.fixture
def api(emulator, tokens, studio_id) -> Api:
    return Api(emulator.url, tokens["access_token"], studio_id)


@pytest.fixture
def second_user_tokens(emulator) -> dict:
    return emulator.state.issue_token_set(SECOND_EMAIL)
