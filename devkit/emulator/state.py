"""The emulator's in-memory world and its Python control API. One lock guards it: the server is threaded.

Tests, the demo and benchmarks drive it through `EmulatorState` (or the same controls over HTTP, controls.py).
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from devkit.clock import Clock
from devkit.emulator import jwt
from devkit.emulator.faults import Faults
from devkit.emulator.limits import Limits
from devkit.emulator.records import (
    AuthorizationCode,
    Client,
    Connection,
    Contact,
    Invoice,
    LineItem,
    Payment,
    RefreshGrant,
    User,
    money,
)
from devkit.emulator.seed import DEMO_EMAIL, OrgData, build_large_organisation, build_seed
from devkit.settings import DEMO_CLIENT_ID, DEMO_CLIENT_NAME, DEMO_CLIENT_SECRET, DEMO_SCOPES

DEMO_REDIRECT_URI = "http://127.0.0.1:5002/admin/oauth/callback"
DEFAULT_BASE_URL = "http://127.0.0.1:5001"
ACCESS_TOKEN_SECONDS = 30 * 60
ID_TOKEN_SECONDS = 5 * 60
CODE_SECONDS = 5 * 60
REFRESH_GRACE = timedelta(minutes=30)
REFRESH_UNUSED_LIFETIME = timedelta(days=60)


class OAuthFailure(Exception):
    """An OAuth error answered as {"error": ..., "error_description": ...} with HTTP 400 (401 for clients)."""

    def __init__(self, error: str, description: str = "", status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error, self.description, self.status = error, description, status


@dataclass
class WebhookTarget:
    url: str
    key: str


class EmulatorState:
    def __init__(self, *, seed: int, clock: Clock, redirect_uris: Iterable[str] = (),
                 webhook_url: str | None = None, webhook_key: str | None = None) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.clock = clock
        self.base_url = DEFAULT_BASE_URL
        self.webhook = WebhookTarget(webhook_url, webhook_key or "") if webhook_url else None
        self.webhook_deliveries: list[dict[str, Any]] = []
        self.faults = Faults()
        self.limits = Limits()
        self.calls: dict[str, int] = {}
        self.clients = {DEMO_CLIENT_ID: Client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                                           {DEMO_REDIRECT_URI, *redirect_uris}, DEMO_CLIENT_NAME)}
        self.codes: dict[str, AuthorizationCode] = {}
        self.refresh_grants: dict[str, RefreshGrant] = {}
        self.connections: dict[str, Connection] = {}
        self.login_tickets: dict[str, str] = {}  # authorize page: ticket -> user email
        self.data_changed = False
        self.large_tenants: dict[str, str] = {}  # benchmark organisations -> the user who sees them
        self._load_seed()

    def _load_seed(self) -> None:
        data = build_seed(self.seed, self.clock.today())
        self.orgs: dict[str, OrgData] = data.orgs
        self.users: dict[str, User] = data.users

    # --- lookups (call under the lock) --------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def new_id(self) -> str:
        return str(uuid.uuid4())

    @property
    def tenants(self) -> list[dict[str, str]]:
        """The seeded organisations as {tenant_id, name, short_code, base_currency}."""
        with self.lock:
            return [{"tenant_id": d.org.tenant_id, "name": d.org.name, "short_code": d.org.short_code,
                     "base_currency": d.org.base_currency} for d in self.orgs.values()]

    @property
    def organisations(self) -> list[dict[str, str]]:
        return self.tenants

    def user_by_email(self, email: str) -> User | None:
        return self.users.get(email.strip().lower())

    def user_by_id(self, user_id: str) -> User | None:
        return next((u for u in self.users.values() if u.user_id == user_id), None)

    def find_invoice(self, invoice_id: str) -> tuple[OrgData, Invoice]:
        for data in self.orgs.values():
            if invoice_id in data.invoices:
                return data, data.invoices[invoice_id]
        raise KeyError(f"no invoice {invoice_id}")

    # --- tokens -------------------------------------------------------------------------------------------

    def issue_tokens(self, *, client_id: str, user: User, scopes: tuple[str, ...], auth_event_id: str) -> dict:
        """A token endpoint answer: access token, id_token with openid, refresh token with offline_access."""
        now = self.now()
        issued = int(now.timestamp())
        access_claims = {
            "nbf": issued, "exp": issued + ACCESS_TOKEN_SECONDS, "iss": self.base_url,
            "aud": f"{self.base_url}/resources", "client_id": client_id, "sub": user.user_id, "auth_time": issued,
            "xero_userid": user.user_id, "global_session_id": secrets.token_hex(16), "jti": secrets.token_hex(16),
            "authentication_event_id": auth_event_id, "scope": list(scopes),
        }
        access_token = jwt.encode(access_claims)
        answer: dict[str, Any] = {"access_token": access_token, "expires_in": ACCESS_TOKEN_SECONDS,
                                  "token_type": "Bearer", "scope": " ".join(scopes)}
        if "openid" in scopes:
            answer["id_token"] = jwt.encode({
                "nbf": issued, "exp": issued + ID_TOKEN_SECONDS, "iss": self.base_url, "aud": client_id,
                "iat": issued, "at_hash": jwt.at_hash(access_token), "sid": secrets.token_hex(16),
                "sub": user.user_id, "auth_time": issued, "idp": "xero", "xero_userid": user.user_id,
                "global_session_id": access_claims["global_session_id"], "preferred_username": user.email,
                "email": user.email, "given_name": user.given_name, "family_name": user.family_name,
                "amr": ["pwd"],
            })
        if "offline_access" in scopes:
            token = secrets.token_urlsafe(32)
            self.refresh_grants[token] = RefreshGrant(token, client_id, user.user_id, scopes, auth_event_id, now)
            answer["refresh_token"] = token
        return answer

    def connect(self, *, user: User, client_id: str, tenant_ids: Iterable[str], auth_event_id: str) -> None:
        """Record consent: one connection per (user, app, tenant); reconsent moves it to the new auth event."""
        now = self.now()
        for tenant_id in tenant_ids:
            if tenant_id not in user.tenant_ids:
                raise ValueError(f"{user.email} has no access to tenant {tenant_id}")
            existing = self.connection_for(user.user_id, client_id, tenant_id)
            if existing:
                existing.auth_event_id, existing.updated = auth_event_id, now
            else:
                conn = Connection(self.new_id(), user.user_id, client_id, tenant_id, auth_event_id, now, now)
                self.connections[conn.connection_id] = conn

    def connection_for(self, user_id: str, client_id: str, tenant_id: str) -> Connection | None:
        return next((c for c in self.connections.values()
                     if (c.user_id, c.client_id, c.tenant_id) == (user_id, client_id, tenant_id)), None)

    def issue_token_set(self, email: str = DEMO_EMAIL, tenant_ids: Iterable[str] | None = None,
                        scopes: Iterable[str] | str | None = None) -> dict:
        """Skip the browser: connect `email`'s organisations (all by default) to the demo client and return
        the token endpoint's JSON (access_token, refresh_token, id_token, expires_in, token_type, scope)."""
        with self.lock:
            user = self.user_by_email(email)
            if user is None:
                raise ValueError(f"no seeded user {email!r}")
            scope_list = tuple((scopes or DEMO_SCOPES).split() if isinstance(scopes, str | None) else scopes)
            auth_event_id = self.new_id()
            self.connect(user=user, client_id=DEMO_CLIENT_ID,
                         tenant_ids=user.tenant_ids if tenant_ids is None else tuple(tenant_ids),
                         auth_event_id=auth_event_id)
            return self.issue_tokens(client_id=DEMO_CLIENT_ID, user=user, scopes=scope_list,
                                     auth_event_id=auth_event_id)

    def authenticate_client(self, client_id: str, client_secret: str | None) -> Client:
        client = self.clients.get(client_id)
        if client is None or client_secret is None or not secrets.compare_digest(client.client_secret,
                                                                                   client_secret):
            raise OAuthFailure("invalid_client", status=400)
        return client

    def refresh(self, client: Client, token: str) -> dict:
        """Rotate: a new set on every use; the previous token keeps working for 30 minutes after its first use."""
        with self.lock:
            grant = self.refresh_grants.get(token)
            now = self.now()
            if grant is None or grant.revoked or grant.client_id != client.client_id:
                raise OAuthFailure("invalid_grant")
            if grant.rotated_at is not None and now > grant.rotated_at + REFRESH_GRACE:
                raise OAuthFailure("invalid_grant")
            if grant.rotated_at is None and now > grant.issued + REFRESH_UNUSED_LIFETIME:
                raise OAuthFailure("invalid_grant")
            user = self.user_by_id(grant.user_id)
            if user is None:
                raise OAuthFailure("invalid_grant")
            grant.rotated_at = grant.rotated_at or now
            return self.issue_tokens(client_id=client.client_id, user=user, scopes=grant.scopes,
                                     auth_event_id=grant.auth_event_id)

    def revoke(self, client: Client, token: str) -> None:
        """Revoking a refresh token ends the user's tokens and every connection of theirs to this app."""
        with self.lock:
            grant = self.refresh_grants.get(token)
            if grant is None or grant.client_id != client.client_id:
                return
            for other in self.refresh_grants.values():
                if (other.user_id, other.client_id) == (grant.user_id, grant.client_id):
                    other.revoked = True
            for conn_id, conn in list(self.connections.items()):
                if (conn.user_id, conn.client_id) == (grant.user_id, grant.client_id):
                    del self.connections[conn_id]

    # --- controls: faults, limits, counts -------------------------------------------------------------------

    def set_latency(self, seconds: float) -> None:
        with self.lock:
            self.faults.latency = float(seconds)

    def fail_next(self, n: int = 1, kind: str = "500") -> None:
        with self.lock:
            self.faults.fail_next(int(n), kind)

    def fail_share(self, share: float, kind: str = "500") -> None:
        with self.lock:
            self.faults.fail_share(float(share), kind)

    def exhaust_limit(self, tenant_id: str | None, which: str = "minute") -> None:
        with self.lock:
            if tenant_id is not None and tenant_id not in self.orgs:
                raise ValueError(f"unknown tenant {tenant_id}")
            self.limits.exhaust(tenant_id, which, self.now())

    def reset_faults(self) -> None:
        """No latency, no failures, fresh limit windows; held (time-out) requests are let go."""
        with self.lock:
            self.faults.reset()
            self.limits.reset()

    def count_call(self, tenant_id: str) -> None:
        self.calls[tenant_id] = self.calls.get(tenant_id, 0) + 1

    def api_calls(self, tenant_id: str | None = None) -> int:
        """Accounting API calls served (any status after authentication), for one tenant or all."""
        with self.lock:
            return self.calls.get(tenant_id, 0) if tenant_id else sum(self.calls.values())

    def reset_call_counts(self) -> None:
        with self.lock:
            self.calls.clear()

    def register_redirect_uri(self, uri: str, client_id: str = DEMO_CLIENT_ID) -> None:
        with self.lock:
            self.clients[client_id].redirect_uris.add(uri)

    def reset(self) -> None:
        """Back to the seed: faults, limits, counts and data changes undone (tokens, connections and
        benchmark organisations kept). Re-seeds only when a control changed data, so it is cheap."""
        with self.lock:
            self.reset_faults()
            self.reset_call_counts()
            if self.data_changed:
                large = {tid: self.orgs[tid] for tid in self.large_tenants}
                self._load_seed()
                self.orgs.update(large)
                for tenant_id, email in self.large_tenants.items():
                    self._grant_tenant(email, tenant_id)
                self.data_changed = False

    def _grant_tenant(self, email: str, tenant_id: str) -> None:
        user = self.user_by_email(email)
        if user is not None and tenant_id not in user.tenant_ids:
            user.tenant_ids = (*user.tenant_ids, tenant_id)

    # --- controls: data -------------------------------------------------------------------------------------

    def customers(self, tenant_id: str | None = None) -> list[dict[str, Any]]:
        """Seeded active customers (for the demo CRM): contact_id, name, email, first/last name, tenant_id."""
        with self.lock:
            orgs = [self.orgs[tenant_id]] if tenant_id else list(self.orgs.values())[:2]
            return [{"tenant_id": d.org.tenant_id, "contact_id": c.contact_id, "name": c.name, "email": c.email,
                     "first_name": c.first_name, "last_name": c.last_name}
                    for d in orgs for c in d.contacts.values() if c.is_customer and c.status == "ACTIVE"]

    def add_payment(self, invoice_id: str, amount: Decimal | str | float, date: date | None = None,
                    reference: str = "") -> str:
        with self.lock:
            data, invoice = self.find_invoice(invoice_id)
            amount = money(amount)
            if invoice.status != "AUTHORISED":
                raise ValueError(f"only AUTHORISED invoices take payments (this one is {invoice.status})")
            if amount <= 0 or amount > invoice.amount_due:
                raise ValueError(f"amount must be between 0.01 and {invoice.amount_due}")
            now = self.now()
            payment = Payment(self.new_id(), invoice_id, date or self.clock.today(), amount, reference, now)
            invoice.payments.append(payment)
            self.data_changed = True
            if invoice.amount_due == 0:
                invoice.status = "PAID"
            invoice.updated = now
        self._notify("INVOICE", data.org.tenant_id, invoice_id)
        return payment.payment_id

    def void_invoice(self, invoice_id: str) -> None:
        with self.lock:
            data, invoice = self.find_invoice(invoice_id)
            if invoice.status not in ("AUTHORISED", "SUBMITTED", "DRAFT") or invoice.amount_paid > 0:
                raise ValueError(f"cannot void a {invoice.status} invoice with payments {invoice.amount_paid}")
            invoice.status = "DELETED" if invoice.status == "DRAFT" else "VOIDED"
            self.data_changed = True
            invoice.updated = self.now()
        self._notify("INVOICE", data.org.tenant_id, invoice_id)

    def create_invoice(self, tenant_id: str, contact_id: str, **fields: Any) -> str:
        """A new invoice of one line; fields (snake_case): type, status, date, due_date, reference, currency,
        amount (ex tax; default 500.00), description, number; or quantity and unit_amount instead of amount
        (a unit amount may have four decimals, as Xero allows; the line amount is rounded to cents)."""
        with self.lock:
            data = self.orgs[tenant_id]
            if contact_id not in data.contacts:
                raise ValueError(f"unknown contact {contact_id}")
            invoice = self._new_invoice(data, contact_id, fields)
            data.add_invoice(invoice)
            self.data_changed = True
        self._notify("INVOICE", tenant_id, invoice.invoice_id, "CREATE")
        return invoice.invoice_id

    def _new_invoice(self, data: OrgData, contact_id: str, fields: dict[str, Any]) -> Invoice:
        today = self.clock.today()
        kind = fields.get("type", "ACCREC")
        issued = _as_date(fields.get("date")) or today
        quantity = Decimal(str(fields.get("quantity", 1)))
        unit_amount = _unit_amount(fields.get("unit_amount", fields.get("amount", "500.00")))
        tax = money(money(quantity * unit_amount) * data.org.tax_rate)
        number = fields.get("number")
        if not number:
            number = f"INV-{data.next_number:04d}"
            data.next_number += 1
        line = LineItem(self.new_id(), fields.get("description", "Consulting services"), quantity, unit_amount,
                        "200", "OUTPUT2", tax)
        return Invoice(
            invoice_id=self.new_id(), tenant_id=data.org.tenant_id, type=kind, number=number,
            reference=fields.get("reference", ""), contact_id=contact_id, date=issued,
            due_date=_as_date(fields.get("due_date")) or issued + timedelta(days=20),
            status=fields.get("status", "AUTHORISED"), currency=fields.get("currency", data.org.base_currency),
            currency_rate=Decimal("1.000000"), lines=[line], updated=self.now(), created_by_app=True,
        )

    def add_large_organisation(self, invoices: int = 100_000, contacts: int = 2_000,
                               email: str = DEMO_EMAIL) -> str:
        """Add a benchmark organisation of `invoices` invoices, reachable by `email`; returns its tenant id."""
        data = build_large_organisation(self.seed, self.clock.today(), invoices=invoices, contacts=contacts)
        with self.lock:
            self.orgs[data.org.tenant_id] = data
            self.large_tenants[data.org.tenant_id] = email
            self._grant_tenant(email, data.org.tenant_id)
        return data.org.tenant_id

    def _notify(self, category: str, tenant_id: str, resource_id: str, event_type: str = "UPDATE") -> None:
        if self.webhook is not None:
            from devkit.emulator.webhooks import deliver_event

            self.webhook_deliveries.append(deliver_event(self, category, tenant_id, resource_id, event_type))

    def contact(self, tenant_id: str, contact_id: str) -> Contact:
        with self.lock:
            return self.orgs[tenant_id].contacts[contact_id]


def _unit_amount(value: Any) -> Decimal:
    """A unit amount kept to four decimals, the most Xero stores."""
    return Decimal(str(value)).quantize(Decimal("0.0001"))


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
