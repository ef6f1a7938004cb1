"""The composition root: every shared service of one app, built once in `create_app` from its settings.

Redis or in-process is decided here, once: with REDIS_URL the cache, rate budget, single-flight locks and
change log are shared by every worker and host (each falling back to this worker's own while Redis is
unreachable); without it they live in this process. The single-use markers are Redis keys with their own TTL
with REDIS_URL and database rows without it, never the evicting cache, and never fall back: when their store
can't answer, what they guard is refused. Views and lower layers that need a service reach it
through `services()`, the one accessor; nothing else builds one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import redis
import requests
from flask import Flask, current_app
from flask_caching import Cache

from plugin import settings
from plugin.domain.clock import Clock, SystemClock
from plugin.runtime import cache as shared_cache
from plugin.runtime import metrics
from plugin.runtime.budget import LocalBudgetStore, RateBudget, RedisBudgetStore
from plugin.runtime.changes import ChangeLog
from plugin.runtime.invoices import CustomerDirectories, InvoiceStore, SharedInvoices, XeroReader
from plugin.runtime.lookups import LookupCounts
from plugin.runtime.markers import CheckedDatabaseMarkers, RedisMarkers, SingleUseMarkers
from plugin.runtime.recent_matches import RecentMatches
from plugin.runtime.redis_link import Failover
from plugin.runtime.single_flight import LocalLocks, RedisLocks, SingleFlight
from plugin.runtime.snapshots import SnapshotCache
from plugin.runtime.tokens import NotConnected, StoredTokens
from plugin.storage import PanelStore, open_store
from plugin.storage.markers import DatabaseMarkers
from plugin.xero.client import XeroClient
from plugin.xero.errors import ConnectionRevoked
from plugin.xero.oauth import XeroOAuth

OAUTH_CALLBACK_PATH = "/admin/oauth/callback"
EXTENSION = "plugin"


@dataclass
class Services:
    """What every request of one app shares. Built by `build`; read through `services()`."""

    app: Flask
    clock: Clock
    redis: Any  # a redis.Redis, or None without REDIS_URL
    cache: Cache  # Flask-Caching: Redis (with in-process failover) or in-process
    snapshots: SnapshotCache  # contacts' invoices: encoded in `cache`, decoded once per worker (bounded in bytes)
    database: PanelStore
    budget: RateBudget
    flight: SingleFlight
    changes: ChangeLog
    directories: CustomerDirectories
    lookups: LookupCounts
    markers: SingleUseMarkers  # used contexts, tickets, sign-ins, webhook deliveries: Redis keys or database rows
    xero_http: requests.Session  # one keep-alive pool to Xero, shared by the app's threads
    crm_http: requests.Session  # one keep-alive pool to the CRM hosts' APIs and OAuth servers (plugin/hosts)
    # which contact each record was last matched to, in this worker: lets a warm view read the cache once
    recent_matches: RecentMatches = field(default_factory=RecentMatches)
    _oauth: tuple[dict[str, Any], XeroOAuth] | None = None
    _oauth_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def config(self) -> Any:
        return self.app.config

    def oauth(self) -> XeroOAuth:
        """The app's XeroOAuth, kept so its JWKS cache lasts. The redirect URI follows PUBLIC_URL, which a server
        started on a free port learns only once it listens, so the client is made again if its settings moved."""
        wanted = {
            "endpoints": settings.xero_endpoints(self.config),
            "client_id": settings.xero_credentials(self.config)[0],
            "client_secret": settings.xero_credentials(self.config)[1],
            "scopes": settings.xero_scopes(self.config),
            "redirect_uri": self.config["PUBLIC_URL"].rstrip("/") + OAUTH_CALLBACK_PATH,
            "timeout": float(self.config["XERO_TIMEOUT"]),
        }
        with self._oauth_lock:
            if self._oauth is None or self._oauth[0] != wanted:
                self._oauth = (wanted, XeroOAuth(session=self.xero_http, clock=self.clock, **wanted))
            return self._oauth[1]

    def stored_tokens(self, account_id: str) -> StoredTokens:
        return StoredTokens(self.database.connections, account_id, self.oauth(), clock=self.clock)

    def xero_client(self, account_id: str, *, tenant_id: str | None = None, allow_pending: bool = False) -> XeroClient:
        """A XeroClient reading the account's chosen organisation with its stored tokens, within its rate budget.

        Raises NotConnected when there is no saved connection (or it is still pending, unless `allow_pending`,
        which the admin flow uses before Save), ConnectionRevoked when an admin must reconnect.
        """
        info = self.database.connections.get(account_id)
        if info is None:
            raise NotConnected(f"account {account_id!r} has no Xero connection")
        if info.needs_reconnect:
            raise ConnectionRevoked(f"account {account_id!r}: connection needs reconnecting")
        if not info.is_active and not allow_pending:
            raise NotConnected(f"account {account_id!r}: the Xero connection is not saved yet")
        chosen_tenant = tenant_id or info.tenant_id
        if not chosen_tenant:
            raise NotConnected(f"account {account_id!r}: no organisation chosen")
        return XeroClient(
            endpoints=settings.xero_endpoints(self.config),
            tenant_id=chosen_tenant,
            tokens=self.stored_tokens(account_id),
            session=self.xero_http,
            timeout=float(self.config["XERO_TIMEOUT"]),
            clock=self.clock,
            gate=self.budget.gate(chosen_tenant),
            on_limits=self.budget.on_limits(chosen_tenant),
            on_call=metrics.xero_call,
        )

    def invoices(self, client: Any) -> SharedInvoices:
        """A contact's invoices through the shared cache, one Xero call among concurrent callers, webhook-aware.
        `client` is called only when Xero must be asked (a warm render never builds one)."""
        ttl = float(self.config.get("CACHE_TTL", 60))
        store = InvoiceStore(cache=self.cache, clock=self.clock, client=client, ttl=ttl, snapshots=self.snapshots)
        return SharedInvoices(store, flight=self.flight, clock=self.clock, changes=self.changes,
                              on_lookup=self.lookups.record, sweeps=True)


def build(app: Flask) -> Services:
    """Every shared service of `app`, made once; kept in app.extensions for `services()`."""
    clock: Clock = app.config.get("CLOCK") or SystemClock()
    redis_client = _redis(app)
    prefix = app.config.get("REDIS_KEY_PREFIX") or settings.DEFAULTS["REDIS_KEY_PREFIX"]

    def shared_or_local(local: Any, shared: Any, what: str, release_both: tuple[str, ...] = ()) -> Any:
        if redis_client is None:
            return local
        return Failover(shared(redis_client, prefix), local, what=what, release_both=release_both)

    cache = shared_cache.build(app, redis_url=app.config.get("REDIS_URL") or "", prefix=prefix, clock=clock)
    flight = SingleFlight(shared_or_local(LocalLocks(), RedisLocks, "single-flight locks", ("release",)))
    directory_store = cache if redis_client is not None else shared_cache.local_directories(clock)
    directories = CustomerDirectories(directory_store, flight, clock=clock)
    database = open_store(app, clock)
    markers = (RedisMarkers(redis_client, prefix) if redis_client is not None
               else CheckedDatabaseMarkers(DatabaseMarkers(database)))
    snapshots = SnapshotCache(cache, max_bytes=int(app.config.get("SNAPSHOT_CACHE_BYTES")
                                                   or settings.DEFAULTS["SNAPSHOT_CACHE_BYTES"]))
    changes = ChangeLog(cache, clock, drop=snapshots.drop, drop_directory=directories.drop)
    directories.trusted = changes.are_flowing  # a CONTACT webhook would have said the directory changed
    built = Services(
        app=app,
        clock=clock,
        redis=redis_client,
        cache=cache,
        snapshots=snapshots,
        database=database,
        budget=RateBudget(shared_or_local(LocalBudgetStore(), RedisBudgetStore, "rate budget", ("release",)),
                          clock=clock),
        flight=flight,
        changes=changes,
        directories=directories,
        lookups=LookupCounts(cache, clock),
        markers=markers,
        xero_http=requests.Session(),
        crm_http=requests.Session(),
    )
    app.extensions[EXTENSION] = built
    return built


def _redis(app: Flask) -> Any:
    url = app.config.get("REDIS_URL")
    # Time-outs: a Redis that stalls after connecting must raise (and so fail over), not hang requests.
    return redis.Redis.from_url(url, socket_timeout=5, health_check_interval=30) if url else None


def services(app: Flask | None = None) -> Services:
    """The current app's services (inside a request or app context, or for the given app)."""
    return (app or current_app).extensions[EXTENSION]


__all__ = ["Services", "XeroReader", "build", "services"]
